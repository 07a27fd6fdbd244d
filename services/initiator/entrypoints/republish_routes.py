"""Routes of re-publication (对账): admin or oversight asks for current states again."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from services.initiator.entrypoints.dependencies import Context, Overseer, problems
from services.initiator.entrypoints.schemas import RepublishIn
from services.initiator.handlers import republish
from shared.audit.appending import append
from shared.audit.entries import Act, Actor
from shared.web.problems import Problem

router = APIRouter(prefix="/v1/republish", tags=["re-publication"])


class RepublishOut(BaseModel):
    request_id: uuid.UUID
    scope: Literal["designations", "department", "all"]
    designation_ids: list[uuid.UUID] | None
    department_code: str | None
    reason: str
    state: Literal["pending", "running", "done"]
    republished: int
    requested_at: datetime
    finished_at: datetime | None


@router.post(
    "",
    status_code=202,
    response_model=RepublishOut,
    summary="Re-publish current states: some designations, a department's, or all",
    responses=problems(503),
)
async def request_republish(
    body: RepublishIn, principal: Overseer, context: Context
) -> dict[str, Any]:
    scope: republish.Scope = (
        "designations"
        if body.designation_ids is not None
        else "department"
        if body.department_code is not None
        else "all"
    )
    async with context.unit_of_work() as uow:
        row = await republish.enqueue(
            context,
            uow.session,
            request_id=uuid.uuid4(),
            scope=scope,
            requested_by=f"{principal.department_code}:{principal.client_id}",
            reason=body.reason,
            designation_ids=body.designation_ids or (),
            department_code=body.department_code,
        )
        change = body.model_dump(mode="json") | {"scope": scope}
        act = Act(Actor.of(principal), "republish.requested", str(row.id), change)
        await append(uow.session, [act])
        await uow.commit()
    context.republish_wake.set()
    return republish.request_view(row)


@router.get(
    "/{request_id}",
    response_model=RepublishOut,
    summary="Progress of a re-publish request",
    responses=problems(404),
)
async def get_request(
    request_id: uuid.UUID, principal: Overseer, context: Context
) -> dict[str, Any]:
    async with context.unit_of_work() as uow:
        row = await republish.get_request(uow.session, request_id)
    if row is None:
        raise Problem(404, f"no re-publish request {request_id}")
    return republish.request_view(row)
