"""SQL for designations as feedback holds them (latest version, when they reached departments)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Row, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import designation_versions, designations
from services.feedback.domain.obligations import Reach
from services.feedback.domain.periods import month_of
from shared.events.designations import DesignationState


async def lock_designation(session: AsyncSession, designation_id: uuid.UUID) -> None:
    """Serialise the designation and receipt handlers of one designation across instances."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:id, 0))"),
        {"id": str(designation_id)},
    )


_LOCK_MANY = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) "
    "FROM unnest(CAST(:ids AS text[])) AS id ORDER BY id"
)


async def lock_designations(session: AsyncSession, designation_ids: Iterable[uuid.UUID]) -> None:
    """`lock_designation` for several at once, in a fixed order (one round trip)."""
    ids = sorted({str(designation_id) for designation_id in designation_ids})
    if ids:
        await session.execute(_LOCK_MANY, {"ids": ids})


async def record_version(
    session: AsyncSession, state: DesignationState, event_type: str, at: datetime
) -> None:
    statement = pg_insert(designation_versions).values(
        designation_id=state.id,
        version=state.version,
        status=state.status.value,
        event_type=event_type,
        event_time=at,
    )
    await session.execute(statement.on_conflict_do_nothing())


async def load(session: AsyncSession, designation_id: uuid.UUID) -> Row[tuple[object, ...]] | None:
    result = await session.execute(select(designations).where(designations.c.id == designation_id))
    return result.first()


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


async def insert(session: AsyncSession, state: DesignationState, reach: Reach) -> None:
    await session.execute(
        designations.insert().values(id=state.id, **_state_values(state), **_reach_values(reach))
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
