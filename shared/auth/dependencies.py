"""FastAPI dependencies: `Depends(require_roles(Role.initiator))` gives the verified principal."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth.jwks import CachedJwks, JwksUnavailable, KeySource
from shared.auth.principal import Principal, Role
from shared.auth.tokens import InvalidToken, UnknownKey, verify_token
from shared.settings import ServiceSettings
from shared.web.problems import Problem

_bearer = HTTPBearer(auto_error=False, description="a department token from the registry")
_CACHE_LIMIT = 10_000


class Authenticator:
    """Verifies bearer tokens; a verified token is remembered until it expires."""

    def __init__(self, source: KeySource) -> None:
        self.source = source
        self._verified: dict[str, tuple[Principal, int]] = {}

    async def principal(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        try:
            try:
                principal, expires = verify_token(token, await self.source.keys())
            except UnknownKey:
                principal, expires = verify_token(token, await self.source.keys(refresh=True))
        except InvalidToken as error:
            raise _unauthorized(str(error)) from error
        except JwksUnavailable as error:
            raise Problem(503, f"tokens cannot be verified now: {error}") from error
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal


def jwks_url_for(settings: ServiceSettings) -> str:
    return settings.auth_jwks_url or f"{settings.registry_url.rstrip('/')}/.well-known/jwks.json"


def install_authenticator(app: FastAPI, source: KeySource) -> None:
    app.state.authenticator = Authenticator(source)


def default_key_source(settings: ServiceSettings) -> KeySource:
    return CachedJwks(jwks_url_for(settings), ttl_s=settings.auth_jwks_cache_s)


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        detail,
        title="Unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="jointcredit"'},
    )


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("an 'Authorization: Bearer <token>' header from the registry is needed")
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.principal(credentials.credentials)


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits a principal holding any of `roles` (403 otherwise)."""

    async def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not principal.has_any(*roles):
            wanted = ", ".join(role.value for role in roles)
            held = ", ".join(sorted(role.value for role in principal.roles)) or "none"
            raise Problem(
                403,
                f"this needs one of the roles: {wanted}; the token has: {held}",
                title="Forbidden",
            )
        return principal

    return dependency
