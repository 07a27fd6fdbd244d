"""Enforcement recording (嵌入式联合奖惩) and the department's list of them."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from services.responder.adapters.enforcement_store import EnforcementFilter
from services.responder.domain.enforcement import EnforcementCommand, EnforcementRejected
from services.responder.entrypoints.dependencies import PROBLEM_RESPONSES, Authorised, Sessions
from services.responder.entrypoints.schemas import (
    Code,
    Enforcement,
    EnforcementPage,
    EnforcementRequest,
    SubjectId,
    Text,
)
from services.responder.handlers.enforcements import (
    CatalogueNotHeld,
    EnforcementConflict,
    list_enforcements,
    record_enforcement,
)
from shared.audit.entries import Actor
from shared.auth import Principal, authenticated
from shared.web.problems import Problem

router = APIRouter(tags=["enforcements"])


def _command(body: EnforcementRequest) -> EnforcementCommand:
    return EnforcementCommand(
        business_system=body.business_system,
        case_id=body.case_id,
        measure_code=body.measure_code,
        subject_id=body.subject_id,
        designation_id=body.designation_id,
        outcome=body.outcome,
        reason=body.reason,
        scenario=body.scenario,
        result=body.result,
        amount=body.amount,
        occurred_at=body.occurred_at.astimezone(UTC),
        district=body.district,
    )


@router.post(
    "/v1/enforcements",
    response_model=Enforcement,
    status_code=201,
    summary="Record that a measure changed a business decision",
    description=(
        "Idempotent by (department, business_system, case_id, measure_code, subject_id): the "
        "same body again answers 200 with the same record; a different body under that key is a "
        "409. The measure must reach the subject in that designation and have been in force "
        "when it happened. Sent to feedback as `receipt.enforcement.v1` in the same transaction."
    ),
    responses={
        **PROBLEM_RESPONSES,
        200: {"description": "already recorded with this same body", "model": Enforcement},
        409: {
            "description": "a different body under the same key, or the measure was not in force",
            "content": {"application/problem+json": {}},
        },
    },
)
async def record(
    body: EnforcementRequest,
    state: Authorised,
    principal: Annotated[Principal, Depends(authenticated)],
    sessions: Sessions,
    response: Response,
) -> dict[str, Any]:
    actor = Actor.of(principal)
    try:
        recorded = await record_enforcement(sessions, state, _command(body), actor)
    except EnforcementRejected as rejected:
        raise Problem(
            rejected.status,
            f"{rejected.location}: {rejected.message}",
            errors=[{"location": rejected.location, "message": rejected.message}],
        ) from None
    except EnforcementConflict as conflict:
        raise Problem(
            409,
            "this case, measure and subject are already recorded with a different body",
            existing=conflict.existing.answer(state.department),
        ) from None
    except CatalogueNotHeld as error:
        raise Problem(503, str(error), headers={"Retry-After": "2"}) from None
    if not recorded.created:
        response.status_code = 200
    return recorded.record.answer(state.department)


@router.get(
    "/v1/enforcements",
    response_model=EnforcementPage,
    summary="This department's enforcement recordings, newest first",
    responses=PROBLEM_RESPONSES,
)
async def list_recorded(
    state: Authorised,
    sessions: Sessions,
    designation_id: uuid.UUID | None = None,
    measure_code: Annotated[Code | None, Query()] = None,
    business_system: Annotated[Text | None, Query(max_length=128)] = None,
    subject_id: Annotated[SubjectId | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    where = EnforcementFilter(designation_id, measure_code, business_system, subject_id)
    records = await list_enforcements(sessions, where, limit + 1, offset)
    return {
        "items": [r.answer(state.department) for r in records[:limit]],
        "next_offset": offset + limit if len(records) > limit else None,
    }
