"""Public, unauthenticated routes: the lists (公示) and the subject's own objection or repair."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.initiator.adapters.queries import public_exits, public_list
from services.initiator.entrypoints.dependencies import (
    CodeQuery,
    Context,
    IdempotencyHeader,
    Limit,
    Offset,
    answer_once,
    next_offset,
    problems,
)
from services.initiator.entrypoints.schemas import (
    Page,
    PublicObjectionIn,
    PublicRepairIn,
)
from services.initiator.handlers import applications
from services.initiator.handlers.applications import Application
from services.initiator.handlers.recording import Actor, now
from services.initiator.handlers.views import (
    ObjectionOut,
    PublicEntryOut,
    RepairOut,
    public_view,
)

router = APIRouter(prefix="/v1/public", tags=["public"])

SUBJECT = Actor("subject")


class PublicPage(Page):
    as_of: datetime
    items: list[PublicEntryOut]


class PublicObjectionOut(ObjectionOut):
    designation: PublicEntryOut


class PublicRepairOut(RepairOut):
    designation: PublicEntryOut


async def _page(context: Context, statement: Any, limit: int, offset: int) -> dict[str, Any]:
    async with context.unit_of_work() as uow:
        rows = list(await uow.session.execute(statement))
    return {
        "as_of": now().isoformat(),
        "items": [public_view(row._mapping) for row in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset(len(rows), limit, offset),
    }


@router.get(
    "/lists/black",
    response_model=PublicPage,
    summary="The current black list (黑名单公示), persons masked",
)
async def black_list(
    context: Context,
    memorandum_code: CodeQuery = None,
    department: CodeQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    statement = public_list("black", memorandum_code, department, limit, offset)
    return await _page(context, statement, limit, offset)


@router.get(
    "/lists/red",
    response_model=PublicPage,
    summary="The current red list (红名单公示), persons masked",
)
async def red_list(
    context: Context,
    memorandum_code: CodeQuery = None,
    department: CodeQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    statement = public_list("red", memorandum_code, department, limit, offset)
    return await _page(context, statement, limit, offset)


@router.get(
    "/exits",
    response_model=PublicPage,
    summary="Exits (退出): corrected, revoked, repaired and expired designations, persons masked",
)
async def exits(
    context: Context,
    list_type: Literal["red", "black"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await _page(context, public_exits(list_type, limit, offset), limit, offset)


@router.post(
    "/objections",
    status_code=201,
    response_model=PublicObjectionOut,
    summary="The designated subject objects (异议): measures are suspended at once",
    responses=problems(404, 409),
)
async def subject_objection(
    body: PublicObjectionIn,
    request: Request,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    application = Application(
        body.designation_id, body.grounds, tuple(body.evidence), body.contact, body.subject_id
    )

    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await applications.file_objection(
            context, session, application, SUBJECT, public=True
        )

    return await answer_once(
        context, f"subject:{body.subject_id}", request, idempotency, body, work
    )


@router.post(
    "/repairs",
    status_code=201,
    response_model=PublicRepairOut,
    summary="The designated subject applies for credit repair (信用修复)",
    responses=problems(404, 409),
)
async def subject_repair(
    body: PublicRepairIn,
    request: Request,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    application = Application(
        body.designation_id, body.statement, tuple(body.evidence), body.contact, body.subject_id
    )

    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await applications.file_repair(context, session, application, SUBJECT, public=True)

    return await answer_once(
        context, f"subject:{body.subject_id}", request, idempotency, body, work
    )
