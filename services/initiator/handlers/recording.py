"""Recording a designation change: the row, an append-only history row and the event, together.

All three are written in the caller's transaction, so a change and its event commit or roll
back as one (the outbox relay publishes the event after the commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters import designations_repo
from services.initiator.domain import lifecycle
from services.initiator.domain.lifecycle import Action, InvalidChange, InvalidTransition
from services.initiator.settings import InitiatorSettings
from shared.audit.appending import append
from shared.audit.entries import Act
from shared.audit.entries import Actor as AuditActor
from shared.auth.principal import Principal
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.designations import DesignationEventType, DesignationState
from shared.events.envelope import EVENT_TYPE_PREFIX, new_event
from shared.topics import Topic
from shared.web.problems import Problem


@dataclass(frozen=True)
class Actor:
    """Who made a change: a department's client, the subject itself, or the scheduler."""

    kind: Literal["department", "subject", "scheduler", "operator"]
    department: str | None = None
    client: str | None = None
    roles: str | None = None
    """the roles of the department's token, comma-separated (for the audit trail)"""

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        roles = ",".join(sorted(role.value for role in principal.roles))
        return cls("department", principal.department_code, principal.client_id, roles)

    def audited(self) -> AuditActor:
        """The actor as the audit trail names it."""
        if self.kind == "department":
            return AuditActor(self.client or "department", self.roles, self.department, self.client)
        if self.kind == "subject":
            return AuditActor(f"subject:{self.client}")
        return AuditActor(self.kind, department=self.department, client=self.client)


SCHEDULER = Actor("scheduler")


def now() -> datetime:
    return datetime.now(UTC)


def designation_event(
    settings: InitiatorSettings, state: DesignationState, event_type: DesignationEventType
) -> OutgoingEvent:
    """Full state as data; envelope subject = designation id; key = the subject's identifier."""
    envelope = new_event(
        event_type.value, settings.service_name, state.model_dump(mode="json"), str(state.id)
    )
    return OutgoingEvent(settings.topic(Topic.DESIGNATIONS), state.subject.id, envelope)


def history_row(
    state: DesignationState,
    action: Action,
    event: OutgoingEvent,
    at: datetime,
    actor: Actor,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "designation_id": state.id,
        "version": state.version,
        "action": action.value,
        "status": state.status.value,
        "period_end": state.period_end,
        "event_id": event.envelope.id,
        "event_type": event.envelope.type,
        "at": at,
        "actor_kind": actor.kind,
        "actor_department": actor.department,
        "actor_client": actor.client,
        "note": note,
    }


async def locked_designation(session: AsyncSession, designation_id: uuid.UUID) -> Row[Any]:
    """The designation row, locked until the transaction ends (404 when unknown)."""
    row = await designations_repo.get(session, designation_id, for_update=True)
    if row is None:
        raise Problem(404, f"no designation {designation_id}")
    return row


def require_initiating_department(principal: Principal, row: Row[Any]) -> None:
    """谁决定、谁负责: only the department that made the designation decides on it."""
    department = row._mapping["initiating_department"]
    if principal.department_code != department:
        raise Problem(
            403,
            f"designation {row._mapping['id']} was made by department {department!r}; "
            f"department {principal.department_code!r} cannot decide on it",
            title="Wrong department",
        )


async def change(
    session: AsyncSession,
    settings: InitiatorSettings,
    row: Row[Any],
    action: Action,
    actor: Actor,
    *,
    note: str | None = None,
    period_end: date | None = None,
    objection_decision: bool = False,
    at: datetime | None = None,
) -> DesignationState:
    """Apply `action` to a locked designation row and record it; 409/422 when not allowed."""
    before = designations_repo.state_from_row(row._mapping)
    try:
        after = lifecycle.transition(
            before, action, period_end=period_end, objection_decision=objection_decision
        )
    except InvalidTransition as error:
        raise conflict(error, before) from None
    except InvalidChange as error:
        raise Problem(
            422,
            error.message,
            errors=[{"location": f"body.{error.field}", "message": error.message}],
        ) from None
    moment = at or now()
    event = designation_event(settings, after, lifecycle.EVENT_TYPES[action])
    await designations_repo.save_change(
        session, after, moment, exited=after.status in lifecycle.EXIT_STATUSES
    )
    await add_events(session, [event])
    await add_history(session, [history_row(after, action, event, moment, actor, note)], actor)
    return after


async def add_history(session: AsyncSession, rows: Sequence[dict[str, Any]], actor: Actor) -> None:
    """History rows of changes `actor` made, each recorded in the audit trail too
    (`designation.<event>`, e.g. `designation.revoked`): write it after the events, the audit
    entry being the last statement before the commit (appending.py)."""
    await designations_repo.add_history(session, rows)
    audited = actor.audited()
    await append(session, [_act(row, audited) for row in rows])


def _act(row: dict[str, Any], actor: AuditActor) -> Act:
    change = {
        "version": row["version"],
        "status": row["status"],
        "period_end": row["period_end"],
        "note": row["note"],
        "event_id": row["event_id"],
    }
    action = str(row["event_type"]).removeprefix(EVENT_TYPE_PREFIX).removesuffix(".v1")
    return Act(actor, action, str(row["designation_id"]), change)


def conflict(error: InvalidTransition, state: DesignationState) -> Problem:
    return Problem(
        409,
        error.detail,
        title="Invalid transition",
        designation_id=str(state.id),
        current_status=error.current.value,
        attempted_action=error.action.value,
    )
