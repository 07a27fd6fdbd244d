"""Routes of objections (异议) and credit repair applications (信用修复), and their decisions."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Table

from services.initiator.adapters import applications_repo
from services.initiator.adapters.tables import designations, objections, repairs
from services.initiator.domain.dates import local_date
from services.initiator.entrypoints.dependencies import (
    AnyDepartment,
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
    ObjectionDecisionIn,
    ObjectionIn,
    ObjectionPage,
    ObjectionWithDesignationOut,
    RepairDecisionIn,
    RepairIn,
    RepairPage,
    RepairWithDesignationOut,
)
from services.initiator.handlers import applications
from services.initiator.handlers.applications import Application
from services.initiator.handlers.recording import Actor, now
from services.initiator.handlers.views import ObjectionOut, RepairOut, application_view
from shared.web.problems import Problem

router = APIRouter(tags=["objections and repairs"])


@router.post(
    "/v1/designations/{designation_id}/objections",
    status_code=201,
    response_model=ObjectionWithDesignationOut,
    summary="A department files an objection (异议): the designation is suspended at once",
    responses=problems(404, 409),
)
async def file_objection(
    designation_id: uuid.UUID,
    body: ObjectionIn,
    request: Request,
    principal: AnyDepartment,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    application = Application(designation_id, body.grounds, tuple(body.evidence), body.contact)

    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await applications.file_objection(context, session, application, Actor.of(principal))

    return await answer_once(context, principal.department_code, request, idempotency, body, work)


@router.post(
    "/v1/objections/{objection_id}/decision",
    response_model=ObjectionWithDesignationOut,
    summary="The initiating department decides: upheld (corrected / revoked) or rejected (resumed)",
    responses=problems(404, 409),
)
async def decide_objection(
    objection_id: uuid.UUID,
    body: ObjectionDecisionIn,
    request: Request,
    principal: InitiatorRole,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await applications.decide_objection(
            context, session, principal, objection_id, body.outcome, body.resolution, body.note
        )

    return await answer_once(context, principal.department_code, request, idempotency, body, work)


@router.post(
    "/v1/designations/{designation_id}/repairs",
    status_code=201,
    response_model=RepairWithDesignationOut,
    summary="Record a credit repair application (信用修复) on the subject's behalf",
    responses=problems(404, 409),
)
async def file_repair(
    designation_id: uuid.UUID,
    body: RepairIn,
    request: Request,
    principal: InitiatorRole,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    application = Application(designation_id, body.statement, tuple(body.evidence), body.contact)

    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await applications.file_repair(context, session, application, Actor.of(principal))

    return await answer_once(context, principal.department_code, request, idempotency, body, work)


@router.post(
    "/v1/repairs/{repair_id}/decision",
    response_model=RepairWithDesignationOut,
    summary="The initiating department approves (→ repaired) or rejects a repair, with a reason",
    responses=problems(404, 409),
)
async def decide_repair(
    repair_id: uuid.UUID,
    body: RepairDecisionIn,
    request: Request,
    principal: InitiatorRole,
    context: Context,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        return await applications.decide_repair(
            context, session, principal, repair_id, body.approved, body.reason
        )

    return await answer_once(context, principal.department_code, request, idempotency, body, work)


async def _one(
    context: Context, principal: Reader, table: Table, application_id: uuid.UUID, noun: str
) -> Any:
    async with context.unit_of_work() as uow:
        row = await applications_repo.get(uow.session, table, application_id)
        if row is None:
            raise Problem(404, f"no {noun} {application_id}")
        department = (
            await uow.session.execute(
                designations.select()
                .with_only_columns(designations.c.initiating_department)
                .where(designations.c.id == row.designation_id)
            )
        ).scalar_one()
    require_reader_of(principal, department)
    return row


async def _page(
    context: Context,
    principal: Reader,
    table: Table,
    model: type[ObjectionOut] | type[RepairOut],
    designation_id: uuid.UUID | None,
    status: str | None,
    overdue: bool,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    today = local_date(now())
    statement = applications_repo.listing(
        table,
        department=None if sees_everything(principal) else principal.department_code,
        designation_id=designation_id,
        status=status,
        overdue_on=today if overdue else None,
    )
    async with context.unit_of_work() as uow:
        rows = list(await uow.session.execute(statement.limit(limit).offset(offset)))
    return {
        "items": [application_view(model, row._mapping, today) for row in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset(len(rows), limit, offset),
    }


@router.get(
    "/v1/objections",
    response_model=ObjectionPage,
    summary="Objections on this department's designations (all, for oversight)",
    responses=problems(),
)
async def list_objections(
    principal: Reader,
    context: Context,
    designation_id: uuid.UUID | None = None,
    status: Literal["pending", "upheld", "rejected"] | None = None,
    overdue: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await _page(
        context, principal, objections, ObjectionOut, designation_id, status, overdue, limit, offset
    )


@router.get(
    "/v1/objections/{objection_id}",
    response_model=ObjectionOut,
    summary="One objection",
    responses=problems(404),
)
async def get_objection(
    objection_id: uuid.UUID, principal: Reader, context: Context
) -> dict[str, Any]:
    row = await _one(context, principal, objections, objection_id, "objection")
    return application_view(ObjectionOut, row._mapping, local_date(now()))


@router.get(
    "/v1/repairs",
    response_model=RepairPage,
    summary="Repair applications on this department's designations (all, for oversight)",
    responses=problems(),
)
async def list_repairs(
    principal: Reader,
    context: Context,
    designation_id: uuid.UUID | None = None,
    status: Literal["pending", "approved", "rejected"] | None = None,
    overdue: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await _page(
        context, principal, repairs, RepairOut, designation_id, status, overdue, limit, offset
    )


@router.get(
    "/v1/repairs/{repair_id}",
    response_model=RepairOut,
    summary="One repair application",
    responses=problems(404),
)
async def get_repair(repair_id: uuid.UUID, principal: Reader, context: Context) -> dict[str, Any]:
    row = await _one(context, principal, repairs, repair_id, "repair")
    return application_view(RepairOut, row._mapping, local_date(now()))
