"""A subject's OpenID Connect ID token: who the caller is, as the identity provider vouches.

The identity provider (the credit portal's login, or `jointcredit/devidp` in development) signs
an ID token naming either an organisation (统一社会信用代码) and the person acting for it, or a
person (居民身份证号码), who then acts for themselves. Which claims carry them is the
deployment's choice (`IdentityProvider`); everything else is OpenID Connect Core §3.1.3.7.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from shared.auth.tokens import InvalidToken, UnknownKey
from shared.identifiers import IdentifierError, validate_credit_code, validate_resident_id

LEEWAY_S = 30
"""Clock skew tolerated on exp, nbf and iat."""


@dataclass(frozen=True)
class IdentityProvider:
    """What a deployment trusts: the issuer, this service's audience, and the claim names."""

    issuer: str
    audience: str
    credit_code_claim: str = "uscc"
    person_id_claim: str = "id_card_number"
    acting_person_claim: str = "acting_person_id"
    algorithms: tuple[str, ...] = ("ES256", "RS256")


@dataclass(frozen=True)
class SubjectIdentity:
    """A verified subject: the organisation or person, and who acts (the person, or the
    organisation's 经办人 by 居民身份证号码)."""

    kind: Literal["organisation", "person"]
    subject_id: str
    acting_person_id: str
    provider_subject: str
    """the identity provider's `sub`: its own account id of the acting person"""
    expires_at: int

    @property
    def label(self) -> str:
        """How records name the filer: the subject and the acting person."""
        if self.kind == "person":
            return f"person {self.subject_id}"
        return f"organisation {self.subject_id} by person {self.acting_person_id}"


def id_token_claims(
    provider: IdentityProvider,
    *,
    kind: Literal["organisation", "person"],
    subject_id: str,
    acting_person_id: str | None = None,
    lifetime_s: int = 600,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims an identity provider of this layout puts in an ID token."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": provider.issuer,
        "aud": provider.audience,
        "sub": f"{kind}:{subject_id}:{acting_person_id or subject_id}",
        "iat": issued,
        "nbf": issued - 5,
        "exp": issued + lifetime_s,
        "auth_time": issued,
        "jti": uuid.uuid4().hex,
    }
    if kind == "organisation":
        claims[provider.credit_code_claim] = subject_id
        if acting_person_id is not None:
            claims[provider.acting_person_claim] = acting_person_id
    else:
        claims[provider.person_id_claim] = subject_id
    return claims


def sign_id_token(key: ECKey, claims: dict[str, Any]) -> str:
    """An ES256 ID token (the development IdP and the tests sign with this)."""
    header = {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def verify_id_token(token: str, keys: KeySet, provider: IdentityProvider) -> SubjectIdentity:
    """The verified identity, or InvalidToken (UnknownKey when no key of `keys` signed it)."""
    try:
        decoded = jwt.decode(token, keys, algorithms=list(provider.algorithms))
    except (JoseError, ValueError) as error:
        reason = str(getattr(error, "description", None) or error)
        if "no key for kid" in reason.lower():
            raise UnknownKey(
                "ID token signed by a key the identity provider does not publish"
            ) from error
        raise InvalidToken(f"ID token rejected: {reason}") from error
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_S,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.audience},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as error:
        raise InvalidToken(f"ID token rejected: {error.description or error.error}") from error
    return _identity(decoded.claims, provider)


def _identity(claims: dict[str, Any], provider: IdentityProvider) -> SubjectIdentity:
    organisation = claims.get(provider.credit_code_claim)
    person = claims.get(provider.person_id_claim)
    if (organisation is None) == (person is None):
        raise InvalidToken(
            f"ID token must name exactly one subject: claim {provider.credit_code_claim!r} "
            f"(统一社会信用代码) or {provider.person_id_claim!r} (居民身份证号码)"
        )
    try:
        if organisation is not None:
            subject = validate_credit_code(_text(organisation, provider.credit_code_claim))
            acting = claims.get(provider.acting_person_claim)
            if acting is None:
                raise InvalidToken(
                    f"ID token of an organisation lacks the acting person "
                    f"(claim {provider.acting_person_claim!r})"
                )
            acting_id = validate_resident_id(_text(acting, provider.acting_person_claim))
            kind: Literal["organisation", "person"] = "organisation"
        else:
            subject = acting_id = validate_resident_id(_text(person, provider.person_id_claim))
            kind = "person"
    except IdentifierError as error:
        raise InvalidToken(f"ID token names an invalid identifier: {error}") from error
    return SubjectIdentity(kind, subject, acting_id, str(claims["sub"]), int(claims["exp"]))


def _text(value: object, claim: str) -> str:
    if not isinstance(value, str):
        raise InvalidToken(f"ID token claim {claim!r} is not a string")
    return value
