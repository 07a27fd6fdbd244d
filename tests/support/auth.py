"""A test signing authority: a key pair, its JWKS as a file, and tokens for any department.

Services under test read the key set from `settings.auth_jwks_url` (a `file://` URL here), the
same code path that reads the registry's JWKS over HTTP in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import orjson

from shared.auth.principal import Role
from shared.auth.tokens import generate_signing_key, public_jwk, sign_token


class TestAuthority:
    __test__ = False

    def __init__(self, folder: Path) -> None:
        self.key = generate_signing_key()
        self.path = folder / "jwks.json"
        self.path.write_bytes(orjson.dumps({"keys": [public_jwk(self.key)]}))

    @property
    def jwks_url(self) -> str:
        return self.path.resolve().as_uri()

    def token(self, department_code: str, *roles: Role | str, client_id: str | None = None) -> str:
        granted: Iterable[Role | str] = roles or (Role.responder,)
        return sign_token(
            self.key,
            client_id=client_id or f"{department_code}-client",
            department_code=department_code,
            roles=granted,
        )

    def headers(self, department_code: str, *roles: Role | str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(department_code, *roles)}"}
