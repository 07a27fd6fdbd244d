"""Reading and writing what the responder holds about designations."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters.tables import designations, measure_targets
from services.responder.domain.held import HeldDesignation, HeldTarget, TargetState
from shared.events.designations import DesignationStatus


def _target(row: Any) -> HeldTarget:
    return HeldTarget(
        kind=row.target_kind,
        id=row.target_id,
        role=row.target_role,
        name=row.target_name,
        measure_codes=tuple(row.measure_codes),
        state=TargetState(row.state),
        cause=row.cause,
        set_by_version=row.set_by_version,
        notified=row.notified,
    )


async def load(
    session: AsyncSession, designation_id: uuid.UUID, *, for_update: bool = False
) -> HeldDesignation | None:
    query = select(designations).where(designations.c.id == designation_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    target_rows = await session.execute(
        select(measure_targets)
        .where(measure_targets.c.designation_id == designation_id)
        .order_by(measure_targets.c.target_role, measure_targets.c.target_id)
    )
    return HeldDesignation(
        id=row.id,
        version=row.version,
        status=DesignationStatus(row.status),
        list_type=row.list_type,
        memorandum_code=row.memorandum_code,
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        subject_name=row.subject_name,
        period_start=row.period_start,
        period_end=row.period_end,
        initiating_department=row.initiating_department,
        document_number=row.document_number,
        decided_at=row.decided_at,
        event_id=row.event_id,
        event_time=row.event_time,
        recorded_at=row.recorded_at,
        not_applicable=tuple((code, reason) for code, reason in row.not_applicable),
        targets=tuple(_target(t) for t in target_rows),
        ignored_events=row.ignored_events,
    )


_STATE_COLUMNS = (
    "version",
    "status",
    "list_type",
    "memorandum_code",
    "subject_kind",
    "subject_id",
    "subject_name",
    "period_start",
    "period_end",
    "initiating_department",
    "document_number",
    "decided_at",
    "event_id",
    "event_time",
    "recorded_at",
    "not_applicable",
)


def _upsert() -> Any:
    statement = insert(designations)
    changed = {key: statement.excluded[key] for key in _STATE_COLUMNS}
    return statement.on_conflict_do_update(
        index_elements=[designations.c.id], set_={**changed, "updated_at": func.now()}
    )


_UPSERT = _upsert()
"""Built once: the designation handler runs it for every event."""


async def save(
    session: AsyncSession, held: HeldDesignation, *, replaces: HeldDesignation | None
) -> None:
    """Store `held` as the designation's current version, replacing its measure-targets.

    `replaces` is the version loaded (locked) in this transaction, None when there was none:
    then there are no measure-targets to delete.
    """
    values = {
        "id": held.id,
        "version": held.version,
        "status": held.status.value,
        "list_type": held.list_type,
        "memorandum_code": held.memorandum_code,
        "subject_kind": held.subject_kind,
        "subject_id": held.subject_id,
        "subject_name": held.subject_name,
        "period_start": held.period_start,
        "period_end": held.period_end,
        "initiating_department": held.initiating_department,
        "document_number": held.document_number,
        "decided_at": held.decided_at,
        "event_id": held.event_id,
        "event_time": held.event_time,
        "recorded_at": held.recorded_at,
        "not_applicable": [list(pair) for pair in held.not_applicable],
    }
    await session.execute(_UPSERT, values)
    if replaces is not None:
        await session.execute(
            delete(measure_targets).where(measure_targets.c.designation_id == held.id)
        )
    if held.targets:
        await session.execute(
            insert(measure_targets),
            [
                {
                    "designation_id": held.id,
                    "target_role": target.role,
                    "target_id": target.id,
                    "target_kind": target.kind,
                    "target_name": target.name,
                    "measure_codes": list(target.measure_codes),
                    "state": target.state.value,
                    "cause": target.cause,
                    "set_by_version": target.set_by_version,
                    "notified": target.notified,
                }
                for target in held.targets
            ],
        )


async def count_ignored(session: AsyncSession, designation_id: uuid.UUID) -> None:
    """An event of an older or equal version arrived: it changes nothing but is counted."""
    await session.execute(
        update(designations)
        .where(designations.c.id == designation_id)
        .values(ignored_events=designations.c.ignored_events + 1)
    )
