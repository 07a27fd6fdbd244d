"""Route dependencies: the wired context, the caller's roles, the subject's verified identity,
rate limits, Idempotency-Key, paging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from services.initiator.bootstrap import Initiator
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.idempotency import (
    Answer,
    IdempotencyKey,
    Work,
    fingerprint,
    run_once,
)
from services.initiator.settings import InitiatorSettings
from shared.auth import Principal, Role, require_roles
from shared.auth.id_tokens import SubjectIdentity
from shared.auth.subject_identity import SubjectVerifier
from shared.web.rate_limits import RateLimiter


async def _initiator(request: Request) -> Initiator:
    """Async although it awaits nothing: FastAPI runs a plain `def` dependency in a worker
    thread, a hop that cost every request more than the lookup itself."""
    initiator: Initiator = request.app.state.initiator
    return initiator


async def _context(request: Request) -> InitiatorContext:
    initiator: Initiator = request.app.state.initiator
    return initiator.context


Wired = Annotated[Initiator, Depends(_initiator)]
Context = Annotated[InitiatorContext, Depends(_context)]


@dataclass
class EdgeGuards:
    """Built once per app from its settings: the ID-token verifier and the rate limiters."""

    subjects: SubjectVerifier
    public: RateLimiter
    clients: RateLimiter

    @classmethod
    def of(cls, settings: InitiatorSettings) -> EdgeGuards:
        return cls(
            SubjectVerifier.from_jwks_url(
                settings.identity_provider,
                settings.subject_jwks_url,
                cache_s=settings.auth_jwks_cache_s,
            ),
            RateLimiter(settings.public_rate_limit),
            RateLimiter(settings.client_rate_limit),
        )


def _guards(request: Request) -> EdgeGuards:
    guards: EdgeGuards | None = getattr(request.app.state, "edge_guards", None)
    if guards is None:
        initiator: Initiator = request.app.state.initiator
        guards = request.app.state.edge_guards = EdgeGuards.of(initiator.context.settings)
    return guards


def _client_limited(
    admit: Callable[..., Awaitable[Principal]],
) -> Callable[..., Awaitable[Principal]]:
    """The role check, then one call counted against the client's rate limit (`Depends` as a
    default: an `Annotated` string annotation could not name the closure's `admit`)."""

    async def dependency(request: Request, principal: Principal = Depends(admit)) -> Principal:
        client = principal.client_id
        await _guards(request).clients.admit("client", client, who=f"client {client!r}")
        return principal

    return dependency


InitiatorRole = Annotated[Principal, Depends(_client_limited(require_roles(Role.initiator)))]
Reader = Annotated[
    Principal,
    Depends(_client_limited(require_roles(Role.initiator, Role.admin, Role.oversight))),
]
AnyDepartment = Annotated[
    Principal,
    Depends(
        _client_limited(require_roles(Role.initiator, Role.responder, Role.oversight, Role.admin))
    ),
]
Overseer = Annotated[Principal, Depends(_client_limited(require_roles(Role.admin, Role.oversight)))]


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy: run uvicorn with
    `--proxy-headers` and `--forwarded-allow-ips` so that this is the forwarded one)."""
    return request.client.host if request.client else "unknown"


async def public_rate_limit(request: Request) -> None:
    address = client_address(request)
    await _guards(request).public.admit("public", address, who=f"address {address}")


_id_token = HTTPBearer(
    auto_error=False,
    scheme_name="subjectIdToken",
    description="the subject's OpenID Connect ID token from the identity provider",
)


async def _subject(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_id_token)],
) -> SubjectIdentity:
    token = credentials.credentials if credentials is not None else None
    return await _guards(request).subjects.identity(token)


Subject = Annotated[SubjectIdentity, Depends(_subject)]

IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="a client-chosen key: the same key with the same body replays the first answer",
    ),
]

Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
CodeQuery = Annotated[
    str | None, Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
]


def sees_everything(principal: Principal) -> bool:
    """Oversight and admin read every department's records; an initiator reads its own."""
    return principal.has_any(Role.admin, Role.oversight)


def require_reader_of(principal: Principal, department: str) -> None:
    if not sees_everything(principal):
        principal.require_department(department)


def idempotency_key(
    scope: str, request: Request, key: str | None, payload: Any
) -> IdempotencyKey | None:
    if key is None:
        return None
    return IdempotencyKey(scope, key, fingerprint(request.method, request.url.path, payload))


def respond(answer: Answer) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def answer_once(
    context: InitiatorContext,
    scope: str,
    request: Request,
    idempotency: str | None,
    body: BaseModel,
    work: Work,
) -> JSONResponse:
    """Do a command's `work` in one transaction; with an Idempotency-Key, at most once per
    `scope` and key (the same key and body replay the first answer)."""
    key = idempotency_key(scope, request, idempotency, body.model_dump(mode="json"))
    return respond(await run_once(context.unit_of_work(), key, work))


def next_offset(count: int, limit: int, offset: int) -> int | None:
    return offset + limit if count == limit else None


PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "rate limit reached (per client address on public routes, per client "
        "id otherwise): `Retry-After` says when to try again",
        "headers": {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        },
        **PROBLEM,
    }
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token", **PROBLEM},
    403: {"description": "wrong role or department", **PROBLEM},
    422: {"description": "invalid input: `errors` lists each location and message", **PROBLEM},
    **RATE_LIMITED,
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        404: "no such record",
        409: "not allowed in the current state (names the current status and the action)",
        413: "the file is too large",
        503: "no catalogue held yet",
    }
    extra: dict[int | str, dict[str, Any]] = {
        status: {"description": described[status], **PROBLEM} for status in statuses
    }
    return {**PROBLEMS, **extra}
