"""SQL for expected responses: one row per designation and owing department, with the
measures it owes them for."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import expectations
from services.feedback.domain.obligations import Obligation, ResponseDeadline
from services.feedback.domain.periods import month_of

_DESIGNATIONS = (
    "unnest(CAST(:ids AS uuid[]), CAST(:reached_at AS timestamptz[]), "
    "CAST(:reached_months AS text[])) AS d(id, reached_at, reached_month)"
)
_INSERT_EXPECTATIONS = text(
    "INSERT INTO expectations (designation_id, department_code, list_type, memorandum_code, "
    "reached_at, reached_month, deadline_workdays, due_date, overdue_from, provisional, "
    "measure_codes) "
    "SELECT d.id, o.department_code, CAST(:list_type AS text), CAST(:memorandum_code AS text), "
    "d.reached_at, d.reached_month, o.workdays, o.due_date, o.overdue_from, o.provisional, "
    "CAST(string_to_array(o.measures, ' ') AS varchar[]) "
    f"FROM {_DESIGNATIONS} CROSS JOIN unnest(CAST(:departments AS text[]), "
    "CAST(:workdays AS integer[]), CAST(:due_dates AS date[]), "
    "CAST(:overdue_from AS timestamptz[]), CAST(:provisional AS boolean[]), "
    "CAST(:measures AS text[])) "
    "AS o(department_code, workdays, due_date, overdue_from, provisional, measures) "
    # owed before (a revision naming more measures of a department): only the measures grow
    "ON CONFLICT (designation_id, department_code) DO UPDATE SET measure_codes = "
    "ARRAY(SELECT DISTINCT c FROM unnest(expectations.measure_codes || excluded.measure_codes)"
    " AS c ORDER BY c) "
    "WHERE NOT excluded.measure_codes <@ expectations.measure_codes"
)
_ANSWERED_FROM_RECEIPTS = text(
    "UPDATE expectations AS e SET first_received_at = f.first "
    "FROM (SELECT designation_id, department_code, min(recorded_at) AS first FROM receipts "
    "WHERE designation_id = ANY(CAST(:ids AS uuid[])) AND kind = 'received' "
    "GROUP BY designation_id, department_code) AS f "
    "WHERE e.designation_id = f.designation_id AND e.department_code = f.department_code"
)

Owed = tuple[tuple[Obligation, ResponseDeadline], ...]
"""Who owes a response and by when: the same for designations of one memorandum that reached
the departments on the same day."""


@dataclass(frozen=True)
class Scheduled:
    """A designation's obligations to record: who owes a response, by when, for which measures."""

    designation_id: uuid.UUID
    list_type: str
    memorandum_code: str
    reached_at: datetime
    owed: Owed


async def insert_obligations(
    session: AsyncSession,
    designation_id: uuid.UUID,
    list_type: str,
    memorandum_code: str,
    reached_at: datetime,
    owed: Sequence[tuple[Obligation, ResponseDeadline]],
) -> None:
    await insert_obligations_many(
        session, [Scheduled(designation_id, list_type, memorandum_code, reached_at, tuple(owed))]
    )


async def insert_obligations_many(session: AsyncSession, scheduled: Sequence[Scheduled]) -> None:
    """One row per owing department of every designation, with the measures it owes them for.

    A designation is owed by dozens of departments, and a consumer batch holds many
    designations, mostly of one memorandum reached on one day: they share their obligations.
    So the designations of each such group are written in one statement, their ids crossed in
    SQL with the group's obligations (sent once), instead of arrays of every row built and
    encoded in Python. A department owed before keeps its row (and deadline); measures it is
    newly owed are added to the row's. Then receipts that arrived before their designation
    answer it (one statement for all)."""
    groups: dict[tuple[str, str, Owed], dict[uuid.UUID, Scheduled]] = {}
    for one in scheduled:
        if one.owed:
            key = (one.list_type, one.memorandum_code, one.owed)
            groups.setdefault(key, {}).setdefault(one.designation_id, one)
    if not groups:
        return
    for (list_type, memorandum_code, owed), members in groups.items():
        await session.execute(
            _INSERT_EXPECTATIONS,
            {
                "ids": list(members),
                "reached_at": [one.reached_at for one in members.values()],
                "reached_months": [month_of(one.reached_at) for one in members.values()],
                "list_type": list_type,
                "memorandum_code": memorandum_code,
                "departments": [obligation.department_code for obligation, _ in owed],
                "workdays": [obligation.deadline_workdays for obligation, _ in owed],
                "due_dates": [deadline.due_date for _, deadline in owed],
                "overdue_from": [deadline.overdue_from for _, deadline in owed],
                "provisional": [deadline.provisional for _, deadline in owed],
                "measures": [" ".join(obligation.measure_codes) for obligation, _ in owed],
            },
        )
    await session.execute(
        _ANSWERED_FROM_RECEIPTS,
        {"ids": [id_ for members in groups.values() for id_ in members]},
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
