"""Designation use cases: initiate (认定), revoke (撤销) and extend."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters import designations_repo
from services.initiator.domain.admission import admit
from services.initiator.domain.designation import NewDesignation
from services.initiator.domain.lifecycle import EVENT_TYPES, Action
from services.initiator.domain.publication import published_late
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.recording import (
    Actor,
    add_history,
    change,
    designation_event,
    history_row,
    locked_designation,
    now,
    require_initiating_department,
)
from services.initiator.handlers.views import designation_view
from shared.auth.principal import Principal
from shared.catalogue import Catalogue
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.designations import DesignationState
from shared.web.problems import Problem


async def current_catalogue(context: InitiatorContext, session: AsyncSession) -> Catalogue:
    catalogue = await context.catalogue.current(session)
    if catalogue is None:
        raise Problem(
            503,
            "the initiator holds no catalogue yet (it follows the registry's catalogue events "
            "and reads REGISTRY_URL/v1/catalogue); try again shortly",
            headers={"Retry-After": "5"},
        )
    return catalogue


def check_admission(catalogue: Catalogue, draft: NewDesignation) -> None:
    admission = admit(
        catalogue,
        draft.initiating_department,
        draft.memorandum_code,
        draft.list_type,
        draft.subject.kind,
        [person.role for person in draft.responsible_persons],
    )
    if admission.forbidden:
        raise Problem(403, admission.forbidden, title="Not a designating department")
    if admission.violations:
        errors = [
            {"location": f"body.{v.field}", "message": v.message} for v in admission.violations
        ]
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        raise Problem(
            422, f"the catalogue does not admit this designation: {summary}", errors=errors
        )


def new_row(
    context: InitiatorContext,
    draft: NewDesignation,
    designation_id: uuid.UUID,
    at: datetime,
    import_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    due = context.publication_due(draft.decided_at)
    return {
        "id": designation_id,
        "version": 1,
        "status": "active",
        "list_type": draft.list_type,
        "memorandum_code": draft.memorandum_code,
        "subject_kind": draft.subject.kind,
        "subject_id": draft.subject.id,
        "subject_name": draft.subject.name,
        "responsible_persons": [p.model_dump(mode="json") for p in draft.responsible_persons],
        "reason": draft.reason,
        "legal_basis": draft.legal_basis,
        "document_number": draft.document_number,
        "evidence": list(draft.evidence),
        "decided_at": draft.decided_at,
        "period_start": draft.period_start,
        "period_end": draft.period_end,
        "initiating_department": draft.initiating_department,
        "created_at": at,
        "updated_at": at,
        "exited_at": None,
        "publication_due": due.due,
        "publication_due_provisional": due.provisional,
        "publication_late": published_late(at, due.due),
        "import_id": import_id,
    }


async def record_initiated(
    context: InitiatorContext,
    session: AsyncSession,
    states: Sequence[DesignationState],
    at: datetime,
    actor: Actor,
) -> None:
    """History rows and `designation.initiated.v1` events for designations just inserted."""
    events: list[OutgoingEvent] = []
    history: list[dict[str, Any]] = []
    for state in states:
        event = designation_event(context.settings, state, EVENT_TYPES[Action.initiate])
        events.append(event)
        history.append(history_row(state, Action.initiate, event, at, actor))
    await add_events(session, events)
    await add_history(session, history, actor)


async def initiate(
    context: InitiatorContext, session: AsyncSession, principal: Principal, draft: NewDesignation
) -> tuple[int, dict[str, Any]]:
    check_admission(await current_catalogue(context, session), draft)
    designation_id = uuid.uuid4()
    at = now()
    row = new_row(context, draft, designation_id, at)
    inserted = await designations_repo.insert_new(session, [row])
    if designation_id not in inserted:
        existing = await designations_repo.ids_by_natural_key(session, [draft.natural_key])
        existing_id = existing.get(draft.natural_key)
        raise Problem(
            409,
            f"department {draft.initiating_department!r} already designated subject "
            f"{draft.subject.id} under document {draft.document_number!r}: designation {existing_id}",
            title="Already designated",
            existing_designation_id=str(existing_id) if existing_id else None,
        )
    await record_initiated(
        context, session, [draft.initial_state(designation_id)], at, Actor.of(principal)
    )
    return 201, designation_view(row)


async def _decide(
    context: InitiatorContext,
    session: AsyncSession,
    principal: Principal,
    designation_id: uuid.UUID,
    action: Action,
    note: str,
    period_end: date | None = None,
) -> tuple[int, dict[str, Any]]:
    row = await locked_designation(session, designation_id)
    require_initiating_department(principal, row)
    await change(
        session,
        context.settings,
        row,
        action,
        Actor.of(principal),
        note=note,
        period_end=period_end,
    )
    updated = await designations_repo.get(session, designation_id)
    assert updated is not None
    return 200, designation_view(updated._mapping)


async def revoke(
    context: InitiatorContext,
    session: AsyncSession,
    principal: Principal,
    designation_id: uuid.UUID,
    reason: str,
) -> tuple[int, dict[str, Any]]:
    return await _decide(context, session, principal, designation_id, Action.revoke, reason)


async def extend(
    context: InitiatorContext,
    session: AsyncSession,
    principal: Principal,
    designation_id: uuid.UUID,
    period_end: date,
    reason: str,
) -> tuple[int, dict[str, Any]]:
    return await _decide(
        context, session, principal, designation_id, Action.extend, reason, period_end
    )
