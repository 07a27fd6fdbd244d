"""What this department holds: one designation's state, and the responder's own status."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.responder.adapters import designation_store
from services.responder.entrypoints.dependencies import PROBLEM_RESPONSES, Authorised, Sessions
from services.responder.entrypoints.schemas import HeldDesignationOut, ResponderStatus
from shared.persistence.unit_of_work import UnitOfWork
from shared.web.problems import Problem

router = APIRouter(tags=["designations"])


@router.get(
    "/v1/designations/{designation_id}",
    response_model=HeldDesignationOut,
    summary="The version held of a designation and its measure-targets",
    responses={
        **PROBLEM_RESPONSES,
        404: {
            "description": "not held (unknown, or no measure of this department)",
            "content": {"application/problem+json": {}},
        },
    },
)
async def held_designation(
    designation_id: uuid.UUID, state: Authorised, sessions: Sessions
) -> dict[str, Any]:
    async with UnitOfWork(sessions) as uow:
        held = await designation_store.load(uow.session, designation_id)
    if held is None:
        raise Problem(404, f"designation {designation_id} is not held by {state.department}")
    return {
        "id": held.id,
        "version": held.version,
        "status": held.status.value,
        "list_type": held.list_type,
        "memorandum_code": held.memorandum_code,
        "subject_kind": held.subject_kind,
        "subject_id": held.subject_id,
        "period_start": held.period_start,
        "period_end": held.period_end,
        "initiating_department": held.initiating_department,
        "document_number": held.document_number,
        "event_id": held.event_id,
        "recorded_at": held.recorded_at,
        "ignored_events": held.ignored_events,
        "not_applicable": [
            {"measure_code": code, "reason": reason} for code, reason in held.not_applicable
        ],
        "targets": [
            {
                "kind": t.kind,
                "id": t.id,
                "role": t.role,
                "name": t.name,
                "measure_codes": list(t.measure_codes),
                "state": t.state.value,
                "cause": t.cause,
                "set_by_version": t.set_by_version,
            }
            for t in held.targets
        ],
    }


@router.get(
    "/v1/status",
    response_model=ResponderStatus,
    summary="The catalogue version held and the check index's size",
    responses=PROBLEM_RESPONSES,
)
async def status(state: Authorised) -> dict[str, Any]:
    return {
        "department_code": state.department,
        "catalogue_version": state.catalogue.version if state.catalogue else None,
        "index_loaded": state.index_ready,
        "indexed_subjects": len(state.index),
        "index": state.freshness.answer,
    }
