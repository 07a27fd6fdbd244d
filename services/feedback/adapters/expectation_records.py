"""SQL for expected responses: one row per designation and owing department."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import expectations, receipts
from services.feedback.domain.obligations import Obligation, ResponseDeadline
from services.feedback.domain.periods import month_of

_INSERT_EXPECTATIONS = text(
    "INSERT INTO expectations (designation_id, department_code, list_type, memorandum_code, "
    "reached_at, reached_month, deadline_workdays, due_date, overdue_from, provisional) "
    "SELECT CAST(:designation_id AS uuid), v.department_code, :list_type, :memorandum_code, "
    "CAST(:reached_at AS timestamptz), :reached_month, v.workdays, v.due_date, v.overdue_from, "
    "v.provisional "
    "FROM unnest(CAST(:departments AS text[]), CAST(:workdays AS integer[]), "
    "CAST(:due_dates AS date[]), CAST(:overdue_from AS timestamptz[]), "
    "CAST(:provisional AS boolean[])) "
    "AS v(department_code, workdays, due_date, overdue_from, provisional) "
    "ON CONFLICT DO NOTHING"
)
_INSERT_EXPECTED_MEASURES = text(
    "INSERT INTO expected_measures (designation_id, department_code, measure_code) "
    "SELECT CAST(:designation_id AS uuid), v.department_code, v.measure_code "
    "FROM unnest(CAST(:departments AS text[]), CAST(:measures AS text[])) "
    "AS v(department_code, measure_code) "
    "ON CONFLICT DO NOTHING"
)


async def insert_obligations(
    session: AsyncSession,
    designation_id: uuid.UUID,
    list_type: str,
    memorandum_code: str,
    reached_at: datetime,
    owed: Sequence[tuple[Obligation, ResponseDeadline]],
) -> None:
    """One row per owing department and one per (department, measure), each a single statement
    over arrays: a designation is owed by dozens of departments and well over a hundred
    measures, and a row-by-row insert was the costliest step of consuming it."""
    if not owed:
        return
    await session.execute(
        _INSERT_EXPECTATIONS,
        {
            "designation_id": designation_id,
            "list_type": list_type,
            "memorandum_code": memorandum_code,
            "reached_at": reached_at,
            "reached_month": month_of(reached_at),
            "departments": [obligation.department_code for obligation, _ in owed],
            "workdays": [obligation.deadline_workdays for obligation, _ in owed],
            "due_dates": [deadline.due_date for _, deadline in owed],
            "overdue_from": [deadline.overdue_from for _, deadline in owed],
            "provisional": [deadline.provisional for _, deadline in owed],
        },
    )
    pairs = [
        (obligation.department_code, code)
        for obligation, _ in owed
        for code in obligation.measure_codes
    ]
    if pairs:
        await session.execute(
            _INSERT_EXPECTED_MEASURES,
            {
                "designation_id": designation_id,
                "departments": [department for department, _ in pairs],
                "measures": [code for _, code in pairs],
            },
        )
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


_MARK_MANY = text(
    "UPDATE expectations AS e "
    "SET first_received_at = least(coalesce(e.first_received_at, v.at), v.at) "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:departments AS text[]), "
    "CAST(:ats AS timestamptz[])) AS v(designation_id, department_code, at) "
    "WHERE e.designation_id = v.designation_id AND e.department_code = v.department_code"
)


async def mark_received_many(
    session: AsyncSession, first_answers: Mapping[tuple[uuid.UUID, str], datetime]
) -> None:
    """Each (designation, department) pair answered at the given time, unless answered
    earlier (the earliest answer counts); each pair given once."""
    if not first_answers:
        return
    pairs = list(first_answers.items())
    await session.execute(
        _MARK_MANY,
        {
            "ids": [designation_id for (designation_id, _), _ in pairs],
            "departments": [department for (_, department), _ in pairs],
            "ats": [at for _, at in pairs],
        },
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
