"""Expected responses of a designation: created once its memorandum is in the held catalogue."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import designation_records, expectation_records
from services.feedback.domain.obligations import (
    deadlines_for,
    obligations_for,
    response_deadline,
)
from shared.catalogue import Catalogue
from shared.workdays import WorkdayCalendar


async def schedule_obligations(
    session: AsyncSession,
    designation_id: uuid.UUID,
    list_type: str,
    memorandum_code: str,
    reached_at: datetime,
    catalogue: Catalogue,
    calendar: WorkdayCalendar,
) -> bool:
    """Record who owes a response and by when; False while the memorandum is unknown."""
    obligations = obligations_for(catalogue, memorandum_code)
    if obligations is None:
        return False
    owed = deadlines_for(obligations, reached_at, calendar)
    await expectation_records.insert_obligations(
        session, designation_id, list_type, memorandum_code, reached_at, owed
    )
    await designation_records.set_obligations_version(session, designation_id, catalogue.version)
    return True


async def schedule_pending(
    session: AsyncSession, catalogue: Catalogue, calendar: WorkdayCalendar
) -> int:
    """After a catalogue version: the designations that waited for it. Returns how many.

    Runs under the catalogue's exclusive lock, which holds every designation and receipt batch
    back (handlers/batch_locks.py): no receipt of these designations is being written, so
    none is missed by the answers their new expectations take from stored receipts."""
    waiting = await designation_records.pending(session)
    if not waiting:
        return 0
    scheduled = 0
    for designation_id, list_type, memorandum_code, reached_at in waiting:
        scheduled += await schedule_obligations(
            session,
            designation_id,
            list_type,
            memorandum_code,
            reached_at,
            catalogue,
            calendar,
        )
    return scheduled


async def move_deadlines(
    session: AsyncSession,
    designation_id: uuid.UUID,
    reached_at: datetime,
    calendar: WorkdayCalendar,
) -> None:
    """The designation turned out to have reached departments earlier (its initiated event)."""
    for department_code, workdays in await expectation_records.deadlines_of(
        session, designation_id
    ):
        await expectation_records.move_deadline(
            session,
            designation_id,
            department_code,
            reached_at,
            response_deadline(reached_at, workdays, calendar),
        )
