"""A test signing authority: a key pair, its JWKS as a file, and tokens for any department;
and a test identity provider signing subjects' ID tokens the same way.

Services under test read the key set from `settings.auth_jwks_url` (a `file://` URL here), the
same code path that reads the registry's JWKS over HTTP in production.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import orjson
from joserfc.jwk import ECKey

from shared.auth.id_tokens import IdentityProvider, id_token_claims, sign_id_token
from shared.auth.principal import Role
from shared.auth.tokens import generate_signing_key, public_jwk, sign_token
from shared.identifiers import SubjectKind, detect_kind, make_resident_id


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


_BIRTH = date(1985, 6, 1)


class TestIdentityProvider:
    """A test OpenID Connect IdP: its key's JWKS as a file, ID tokens for any subject.

    `settings` are the initiator's overrides that trust it; `id_token` takes claim overrides
    (an expired `exp`, another `aud` or `iss`), claims to `omit`, and another `key` (one it
    does not publish).
    """

    __test__ = False

    issuer = "https://idp.test.jointcredit"
    audience = "jointcredit-initiator"

    def __init__(self, folder: Path) -> None:
        self.key = generate_signing_key()
        self.path = folder / "idp-jwks.json"
        self.path.write_bytes(orjson.dumps({"keys": [public_jwk(self.key)]}))
        self.provider = IdentityProvider(self.issuer, self.audience)

    @property
    def settings(self) -> dict[str, Any]:
        return {
            "subject_idp_issuer": self.issuer,
            "subject_idp_audience": self.audience,
            "subject_idp_jwks_url": self.path.resolve().as_uri(),
        }

    def id_token(
        self,
        subject_id: str,
        acting_person_id: str | None = None,
        *,
        key: ECKey | None = None,
        omit: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        kind: Literal["organisation", "person"] = (
            "person" if detect_kind(subject_id) == SubjectKind.PERSON else "organisation"
        )
        if kind == "organisation" and acting_person_id is None:
            acting_person_id = acting_person()
        issued = id_token_claims(
            self.provider, kind=kind, subject_id=subject_id, acting_person_id=acting_person_id
        )
        kept = {name: value for name, value in issued.items() if name not in omit}
        return sign_id_token(key or self.key, kept | claims)

    def headers(self, subject_id: str, acting_person_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.id_token(subject_id, acting_person_id)}"}


def acting_person() -> str:
    """A valid 居民身份证号码 for a person acting for an organisation."""
    return make_resident_id("350102", _BIRTH, uuid.uuid4().int % 1000)
