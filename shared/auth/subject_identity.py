"""Verifying a subject's ID token at the edge: 401 with `WWW-Authenticate` when it cannot be
trusted, 503 when the identity provider's keys cannot be read and none are cached."""

from __future__ import annotations

from shared.auth.id_tokens import IdentityProvider, SubjectIdentity, verify_id_token
from shared.auth.jwks import CachedJwks, JwksUnavailable, KeySource
from shared.auth.tokens import InvalidToken, UnknownKey
from shared.web.problems import Problem

CHALLENGE = 'Bearer realm="jointcredit-subjects", scope="openid"'


def subject_unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        detail,
        title="Unauthorized",
        headers={"WWW-Authenticate": CHALLENGE},
    )


class SubjectVerifier:
    """Verifies ID tokens against the identity provider's JWKS (cached; re-read once when a
    token names a key id it does not hold, at most every few seconds)."""

    def __init__(self, provider: IdentityProvider, source: KeySource) -> None:
        self.provider = provider
        self.source = source

    @classmethod
    def from_jwks_url(
        cls, provider: IdentityProvider, jwks_url: str, *, cache_s: float = 300.0
    ) -> SubjectVerifier:
        return cls(provider, CachedJwks(jwks_url, ttl_s=cache_s))

    async def identity(self, token: str | None) -> SubjectIdentity:
        if not token:
            raise subject_unauthorized(
                "an 'Authorization: Bearer <ID token>' header from the identity provider "
                f"{self.provider.issuer} is needed: the subject must prove who it is"
            )
        try:
            try:
                return verify_id_token(token, await self.source.keys(), self.provider)
            except UnknownKey:
                keys = await self.source.keys(refresh=True)
                return verify_id_token(token, keys, self.provider)
        except InvalidToken as error:
            raise subject_unauthorized(str(error)) from error
        except JwksUnavailable as error:
            raise Problem(
                503,
                f"ID tokens cannot be verified now: {error}",
                headers={"Retry-After": "5"},
            ) from error
