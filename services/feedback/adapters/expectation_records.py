"""SQL for expected responses: one row per designation and owing department."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import expectations, expected_measures, receipts
from services.feedback.domain.obligations import Obligation, ResponseDeadline
from services.feedback.domain.periods import month_of


async def insert_obligations(
    session: AsyncSession,
    designation_id: uuid.UUID,
    list_type: str,
    memorandum_code: str,
    reached_at: datetime,
    owed: Sequence[tuple[Obligation, ResponseDeadline]],
) -> None:
    if not owed:
        return
    rows = [
        {
            "designation_id": designation_id,
            "department_code": obligation.department_code,
            "list_type": list_type,
            "memorandum_code": memorandum_code,
            "reached_at": reached_at,
            "reached_month": month_of(reached_at),
            "deadline_workdays": obligation.deadline_workdays,
            "due_date": deadline.due_date,
            "overdue_from": deadline.overdue_from,
            "provisional": deadline.provisional,
        }
        for obligation, deadline in owed
    ]
    await session.execute(pg_insert(expectations).on_conflict_do_nothing(), rows)
    measure_rows = [
        {
            "designation_id": designation_id,
            "department_code": obligation.department_code,
            "measure_code": code,
        }
        for obligation, _ in owed
        for code in obligation.measure_codes
    ]
    await session.execute(pg_insert(expected_measures).on_conflict_do_nothing(), measure_rows)
    await _answered_from_receipts(session, designation_id)


async def _answered_from_receipts(session: AsyncSession, designation_id: uuid.UUID) -> None:
    """Receipts may arrive before their designation: they answer it once it is known."""
    first = (
        select(receipts.c.department_code, func.min(receipts.c.recorded_at).label("first"))
        .where(receipts.c.designation_id == designation_id, receipts.c.kind == "received")
        .group_by(receipts.c.department_code)
        .subquery()
    )
    await session.execute(
        update(expectations)
        .where(
            expectations.c.designation_id == designation_id,
            expectations.c.department_code == first.c.department_code,
        )
        .values(first_received_at=first.c.first)
    )


async def mark_received(
    session: AsyncSession, designation_id: uuid.UUID, department_code: str, at: datetime
) -> None:
    await session.execute(
        update(expectations)
        .where(
            expectations.c.designation_id == designation_id,
            expectations.c.department_code == department_code,
        )
        .values(
            first_received_at=func.least(func.coalesce(expectations.c.first_received_at, at), at)
        )
    )


async def deadlines_of(session: AsyncSession, designation_id: uuid.UUID) -> list[tuple[str, int]]:
    result = await session.execute(
        select(expectations.c.department_code, expectations.c.deadline_workdays).where(
            expectations.c.designation_id == designation_id
        )
    )
    return [(row[0], row[1]) for row in result]


async def move_deadline(
    session: AsyncSession,
    designation_id: uuid.UUID,
    department_code: str,
    reached_at: datetime,
    deadline: ResponseDeadline,
) -> None:
    await session.execute(
        update(expectations)
        .where(
            expectations.c.designation_id == designation_id,
            expectations.c.department_code == department_code,
        )
        .values(
            reached_at=reached_at,
            reached_month=month_of(reached_at),
            due_date=deadline.due_date,
            overdue_from=deadline.overdue_from,
            provisional=deadline.provisional,
        )
    )


async def lock_receipts(session: AsyncSession) -> None:
    """Hold back receipt inserts until this transaction commits (catalogue catch-up)."""
    await session.execute(text("LOCK TABLE receipts IN SHARE MODE"))
