"""Route dependencies: the wired context, the caller's roles, Idempotency-Key, paging."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
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
from shared.auth import Principal, Role, require_roles


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

InitiatorRole = Annotated[Principal, Depends(require_roles(Role.initiator))]
Reader = Annotated[Principal, Depends(require_roles(Role.initiator, Role.admin, Role.oversight))]
AnyDepartment = Annotated[
    Principal,
    Depends(require_roles(Role.initiator, Role.responder, Role.oversight, Role.admin)),
]
Overseer = Annotated[Principal, Depends(require_roles(Role.admin, Role.oversight))]

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
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token", **PROBLEM},
    403: {"description": "wrong role or department", **PROBLEM},
    422: {"description": "invalid input: `errors` lists each location and message", **PROBLEM},
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
