"""The one layout of a department token: signing (registry, tests) and verification (all)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from shared.auth.principal import Principal, Role

ALGORITHM = "ES256"
ISSUER = "jointcredit-registry"
AUDIENCE = "jointcredit"


class InvalidToken(ValueError):
    """The bearer token cannot be trusted; the message says why, without secrets."""


class UnknownKey(InvalidToken):
    """Signed by a key id the current key set does not hold (maybe rotated in since)."""


def generate_signing_key(kid: str | None = None) -> ECKey:
    kid = kid or uuid.uuid4().hex
    return ECKey.generate_key(
        "P-256", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM}, private=True
    )


def public_jwk(key: ECKey) -> dict[str, Any]:
    return dict(key.as_dict(private=False))


def sign_token(
    key: ECKey,
    *,
    client_id: str,
    department_code: str,
    roles: Iterable[Role | str],
    lifetime_s: int = 3600,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "dept": department_code,
        "roles": sorted(str(Role(role)) for role in roles),
        "iat": issued,
        "nbf": issued - 5,
        "exp": issued + lifetime_s,
        "jti": uuid.uuid4().hex,
    }
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


_claims_registry = jwt.JWTClaimsRegistry(
    leeway=30,
    iss={"essential": True, "value": ISSUER},
    aud={"essential": True, "value": AUDIENCE},
    exp={"essential": True},
    sub={"essential": True},
)


def verify_token(token: str, keys: KeySet) -> tuple[Principal, int]:
    """The principal and the token's expiry (epoch seconds), or InvalidToken."""
    try:
        decoded = jwt.decode(token, keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError) as error:
        reason = str(getattr(error, "description", None) or error)
        if "no key for kid" in reason.lower():
            raise UnknownKey("token signed by a key this service does not know") from error
        raise InvalidToken(f"token rejected: {reason}") from error
    try:
        _claims_registry.validate(decoded.claims)
    except JoseError as error:
        raise InvalidToken(f"token rejected: {error.description or error.error}") from error
    claims = decoded.claims
    department = claims.get("dept")
    roles = claims.get("roles")
    if not isinstance(department, str) or not isinstance(roles, list):
        raise InvalidToken("token lacks its department or roles")
    try:
        granted = frozenset(Role(role) for role in roles)
    except ValueError as error:
        raise InvalidToken(f"token names an unknown role: {error}") from error
    principal = Principal(client_id=str(claims["sub"]), department_code=department, roles=granted)
    return principal, int(claims["exp"])
