"""Routes of designations (认定): initiate, read, history, revoke, extend."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.initiator.adapters import designations_repo
from services.initiator.adapters.queries import DesignationFilter, designation_listing
from services.initiator.entrypoints.dependencies import (
    CodeQuery,
    Context,
    IdempotencyHeader,
    InitiatorRole,
    Limit,
    Offset,
    Reader,
    answer_once,
    next_offset,
    problems,
    require_reader_of,
    sees_everything,
)
from services.initiator.entrypoints.schemas import (
    DesignationIn,
    DesignationPage,
    ExtensionIn,
    RevocationIn,
)
from services.initiator.handlers import designations
from services.initiator.handlers.views import (
    DesignationOut,
    HistoryEntryOut,
    designation_view,
    history_view,
)
from shared.events.designations import DesignationStatus
from shared.identifiers import normalise
from shared.web.problems import Problem

router = APIRouter(prefix="/v1/designations", tags=["designations"])

SubjectQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")]


@router.post(
    "",
    status_code=201,
    response_model=DesignationOut,
    summary="Designate a subject (认定) on a red or black list",
    responses=problems(409, 503),
)
async def initiate(
    body: DesignationIn,
    request: Request,
    principal: InitiatorRole,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    draft = body.draft(principal.department_code)

    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await designations.initiate(context, session, principal, draft)

    return await answer_once(context, principal.department_code, request, idempotency, body, work)


@router.get(
    "",
    response_model=DesignationPage,
    summary="List designations (an initiator sees its own department's)",
    responses=problems(),
)
async def list_designations(
    principal: Reader,
    context: Context,
    limit: Limit = 100,
    offset: Offset = 0,
    status: DesignationStatus | None = None,
    list_type: Literal["red", "black"] | None = None,
    memorandum_code: CodeQuery = None,
    department: CodeQuery = None,
    subject_id: SubjectQuery = None,
    publication_late: bool | None = None,
    import_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    if not sees_everything(principal):
        if department is not None:
            principal.require_department(department)
        department = principal.department_code
    where = DesignationFilter(
        department=department,
        status=status.value if status else None,
        list_type=list_type,
        memorandum_code=memorandum_code,
        subject_id=normalise(subject_id) if subject_id else None,
        publication_late=publication_late,
        import_id=import_id,
    )
    async with context.unit_of_work() as uow:
        rows = list(await uow.session.execute(designation_listing(where, limit, offset)))
    return {
        "items": [designation_view(row._mapping) for row in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset(len(rows), limit, offset),
    }


async def _readable(context: Context, principal: Reader, designation_id: uuid.UUID) -> Any:
    async with context.unit_of_work() as uow:
        row = await designations_repo.get(uow.session, designation_id)
    if row is None:
        raise Problem(404, f"no designation {designation_id}")
    require_reader_of(principal, row.initiating_department)
    return row


@router.get(
    "/{designation_id}",
    response_model=DesignationOut,
    summary="One designation, current version",
    responses=problems(404),
)
async def get_designation(
    designation_id: uuid.UUID, principal: Reader, context: Context
) -> dict[str, Any]:
    row = await _readable(context, principal, designation_id)
    return designation_view(row._mapping)


@router.get(
    "/{designation_id}/history",
    response_model=list[HistoryEntryOut],
    summary="Every version of a designation (append-only)",
    responses=problems(404),
)
async def get_history(
    designation_id: uuid.UUID, principal: Reader, context: Context
) -> list[dict[str, Any]]:
    await _readable(context, principal, designation_id)
    async with context.unit_of_work() as uow:
        rows = await designations_repo.history(uow.session, designation_id)
    return [history_view(row._mapping) for row in rows]


@router.post(
    "/{designation_id}/revocation",
    response_model=DesignationOut,
    summary="Revoke (撤销) an active designation (the initiating department only)",
    responses=problems(404, 409),
)
async def revoke(
    designation_id: uuid.UUID,
    body: RevocationIn,
    request: Request,
    principal: InitiatorRole,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await designations.revoke(context, session, principal, designation_id, body.reason)

    return await answer_once(context, principal.department_code, request, idempotency, body, work)


@router.post(
    "/{designation_id}/extension",
    response_model=DesignationOut,
    summary="Extend an active designation's period (the initiating department only)",
    responses=problems(404, 409),
)
async def extend(
    designation_id: uuid.UUID,
    body: ExtensionIn,
    request: Request,
    principal: InitiatorRole,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await designations.extend(
            context, session, principal, designation_id, body.period_end, body.reason
        )

    return await answer_once(context, principal.department_code, request, idempotency, body, work)
