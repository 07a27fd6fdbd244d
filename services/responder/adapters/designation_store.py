"""Reading and writing what the responder holds about designations."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import any_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
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
    return _held(row, [_target(t) for t in target_rows])


def _held(row: Any, targets: Sequence[HeldTarget]) -> HeldDesignation:
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
        targets=tuple(targets),
        ignored_events=row.ignored_events,
    )


_IDS = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))
_LOAD_MANY = (
    select(designations)
    .where(designations.c.id == any_(_IDS))
    .order_by(designations.c.id)
    .with_for_update()
)
_LOAD_TARGETS = (
    select(measure_targets)
    .where(measure_targets.c.designation_id == any_(_IDS))
    .order_by(
        measure_targets.c.designation_id, measure_targets.c.target_role, measure_targets.c.target_id
    )
)
_DELETE_TARGETS = delete(measure_targets).where(measure_targets.c.designation_id == any_(_IDS))


async def load_many(
    session: AsyncSession, designation_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, HeldDesignation]:
    """`load(..., for_update=True)` of several designations in two round trips; the rows are
    locked in id order. Designations not held are absent from the answer."""
    if not designation_ids:
        return {}
    ids = sorted(designation_ids)
    rows = (await session.execute(_LOAD_MANY, {"ids": ids})).all()
    if not rows:
        return {}
    targets: dict[uuid.UUID, list[HeldTarget]] = {}
    for target in await session.execute(_LOAD_TARGETS, {"ids": [row.id for row in rows]}):
        targets.setdefault(target.designation_id, []).append(_target(target))
    return {row.id: _held(row, targets.get(row.id, ())) for row in rows}


_STATE_COLUMNS = tuple(
    column.name
    for column in designations.columns
    if column.name not in ("id", "ignored_events", "updated_at")
)
"""What a newer version replaces: all but the key, the ignored-event count and the timestamp."""


def _upsert() -> Any:
    statement = insert(designations)
    changed = {key: statement.excluded[key] for key in _STATE_COLUMNS}
    return statement.on_conflict_do_update(
        index_elements=[designations.c.id], set_={**changed, "updated_at": func.now()}
    )


_UPSERT = _upsert()
"""Built once: the designation handler runs it for every event."""


def _values(held: HeldDesignation) -> dict[str, object]:
    return {
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


def _target_values(held: HeldDesignation) -> list[dict[str, object]]:
    return [
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
    ]


async def save_many(
    session: AsyncSession, helds: Sequence[HeldDesignation], *, replacing: Collection[uuid.UUID]
) -> None:
    """Store each of `helds` (one per designation) as its current version, replacing its
    measure-targets; `replacing` names those held before this transaction (the others have no
    measure-targets to delete). Three round trips whatever the number."""
    if not helds:
        return
    await session.execute(_UPSERT, [_values(held) for held in helds])
    if replacing:
        await session.execute(_DELETE_TARGETS, {"ids": sorted(replacing)})
    targets = [row for held in helds for row in _target_values(held)]
    if targets:
        await session.execute(insert(measure_targets), targets)


_COUNT_IGNORED_MANY = text(
    "UPDATE designations AS d SET ignored_events = d.ignored_events + v.n "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:counts AS integer[])) AS v(id, n) WHERE d.id = v.id"
)


async def count_ignored_many(session: AsyncSession, counts: Mapping[uuid.UUID, int]) -> None:
    """Events of an older or equal version arrived: they change nothing but are counted
    (`counts[id]` for each designation)."""
    if counts:
        await session.execute(
            _COUNT_IGNORED_MANY, {"ids": list(counts), "counts": list(counts.values())}
        )
