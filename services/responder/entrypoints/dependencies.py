"""FastAPI dependencies: the responder's state, for a caller of THIS department only.

One flat dependency (bearer token → principal → role → department) keeps the check path short:
FastAPI's cost per request grows with every dependency it solves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.responder.state import ResponderState
from shared.auth import Principal, Role, authenticated
from shared.runtime import Runtime
from shared.web.problems import Problem

_ALLOWED = (Role.responder, Role.admin)
_bearer = HTTPBearer(
    auto_error=False,
    description="a token of this deployment's department with the responder or admin role",
)


def _state_of(request: Request) -> ResponderState:
    state: ResponderState = request.app.state.responder
    return state


def _authorise(principal: Principal, request: Request) -> ResponderState:
    if not principal.has_any(*_ALLOWED):
        held = ", ".join(sorted(role.value for role in principal.roles)) or "none"
        raise Problem(
            403,
            f"this needs one of the roles: responder, admin; the token has: {held}",
            title="Forbidden",
        )
    state = _state_of(request)
    principal.require_department(state.department)
    return state


async def authorised(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ResponderState:
    """401 without a valid token; 403 for another department's token or another role."""
    return _authorise(await authenticated(request, credentials), request)


@dataclass(frozen=True)
class CheckCaller:
    state: ResponderState
    client_id: str
    """whose checks these are: they are counted per client and day (check_counts.py)"""


async def authorised_check(request: Request) -> CheckCaller:
    """`authorised` without the nested bearer dependency, for the check path (its OpenAPI
    security is declared by `CHECK_SECURITY`)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    credentials = (
        HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())
        if scheme and token.strip()
        else None
    )
    principal = await authenticated(request, credentials)
    return CheckCaller(_authorise(principal, request), principal.client_id)


async def sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    runtime: Runtime = request.app.state.runtime
    return runtime.sessions


Authorised = Annotated[ResponderState, Depends(authorised)]
AuthorisedCheck = Annotated[CheckCaller, Depends(authorised_check)]
CHECK_SECURITY: dict[str, object] = {"security": [{"HTTPBearer": []}]}
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(sessions)]

PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "a body that is not JSON", "content": {"application/problem+json": {}}},
    401: {"description": "no valid token", "content": {"application/problem+json": {}}},
    403: {
        "description": "a token of another department, or without the responder/admin role",
        "content": {"application/problem+json": {}},
    },
    422: {
        "description": "invalid input, with `errors[{location, message}]`",
        "content": {"application/problem+json": {}},
    },
    503: {
        "description": "starting: the catalogue or the check index is not loaded yet",
        "content": {"application/problem+json": {}},
    },
}
