"""SQL for designations as feedback holds them (latest version, when they reached departments)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import designations
from services.feedback.domain.obligations import Reach
from services.feedback.domain.periods import month_of
from shared.events.designations import DesignationState

_LOCK_MANY = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) "
    "FROM unnest(CAST(:ids AS text[])) AS id ORDER BY id"
)


async def lock_designations(session: AsyncSession, designation_ids: Iterable[uuid.UUID]) -> None:
    """Serialise the designation and receipt handlers of these designations across instances:
    advisory locks taken in a fixed order, in one round trip."""
    ids = sorted({str(designation_id) for designation_id in designation_ids})
    if ids:
        await session.execute(_LOCK_MANY, {"ids": ids})


_RECORD_VERSIONS = text(
    "INSERT INTO designation_versions (designation_id, version, status, event_type, event_time) "
    "SELECT v.designation_id, v.version, v.status, v.event_type, v.event_time "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS integer[]), CAST(:statuses AS text[]), "
    "CAST(:event_types AS text[]), CAST(:times AS timestamptz[])) WITH ORDINALITY "
    "AS v(designation_id, version, status, event_type, event_time, n) ORDER BY v.n "
    "ON CONFLICT DO NOTHING"
)


async def record_versions(
    session: AsyncSession, versions: Sequence[tuple[DesignationState, str, datetime]]
) -> None:
    """`record_version` of several (state, event type, time) in one statement; of two events of
    the same version the first is kept, as when they are recorded one by one."""
    if not versions:
        return
    await session.execute(
        _RECORD_VERSIONS,
        {
            "ids": [state.id for state, _, _ in versions],
            "versions": [state.version for state, _, _ in versions],
            "statuses": [state.status.value for state, _, _ in versions],
            "event_types": [event_type for _, event_type, _ in versions],
            "times": [at for _, _, at in versions],
        },
    )


_LOAD_MANY = select(designations).where(
    designations.c.id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))
)


async def load_many(
    session: AsyncSession, designation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[tuple[object, ...]]]:
    """The designations held among `designation_ids`, by id (one round trip)."""
    ids = list(set(designation_ids))
    if not ids:
        return {}
    result = await session.execute(_LOAD_MANY, {"ids": ids})
    return {row.id: row for row in result}


def _state_values(state: DesignationState) -> dict[str, object]:
    return {
        "version": state.version,
        "status": state.status.value,
        "list_type": state.list_type,
        "memorandum_code": state.memorandum_code,
        "initiating_department": state.initiating_department,
        "subject_kind": state.subject.kind,
        "subject_id": state.subject.id,
        "subject_name": state.subject.name,
        "document_number": state.document_number,
        "decided_at": state.decided_at,
        "period_start": state.period_start,
        "period_end": state.period_end,
    }


def _reach_values(reach: Reach) -> dict[str, object]:
    return {
        "initiated_at": reach.initiated_at,
        "first_seen_at": reach.first_seen_at,
        "reached_at": reach.reached_at,
        "reached_month": month_of(reach.reached_at),
    }


async def insert_many(
    session: AsyncSession, rows: Sequence[tuple[DesignationState, Reach, int | None]]
) -> None:
    """New designations: (state, reach, the catalogue version their obligations were scheduled
    from, or None while they wait for one), in one statement."""
    if not rows:
        return
    await session.execute(
        designations.insert(),
        [
            {
                "id": state.id,
                **_state_values(state),
                **_reach_values(reach),
                "obligations_version": obligations_version,
            }
            for state, reach, obligations_version in rows
        ],
    )


async def update_state(session: AsyncSession, state: DesignationState) -> None:
    await session.execute(
        update(designations)
        .where(designations.c.id == state.id)
        .values(**_state_values(state), updated_at=text("now()"))
    )


async def update_reach(session: AsyncSession, designation_id: uuid.UUID, reach: Reach) -> None:
    await session.execute(
        update(designations)
        .where(designations.c.id == designation_id)
        .values(**_reach_values(reach))
    )


async def set_obligations_version(
    session: AsyncSession, designation_id: uuid.UUID, version: int
) -> None:
    await session.execute(
        update(designations)
        .where(designations.c.id == designation_id)
        .values(obligations_version=version)
    )


async def pending(session: AsyncSession) -> list[tuple[uuid.UUID, str, str, datetime]]:
    """Designations whose owing departments are not known yet (no catalogue knew their memorandum)."""
    result = await session.execute(
        select(
            designations.c.id,
            designations.c.list_type,
            designations.c.memorandum_code,
            designations.c.reached_at,
        ).where(designations.c.obligations_version.is_(None))
    )
    return [(row[0], row[1], row[2], row[3]) for row in result]
