"""Designations a department has not answered past its deadline (通报), and re-publish bookkeeping."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_UNANSWERED = "(e.first_received_at IS NULL OR e.first_received_at > :as_of)"
_OVERDUE = f"{_UNANSWERED} AND e.overdue_from <= :as_of AND e.reached_at <= :as_of"


def _department_clause(department_code: str | None, params: dict[str, Any]) -> str:
    if department_code is None:
        return ""
    params["department_code"] = department_code
    return " AND e.department_code = :department_code"


async def overdue_counts(
    session: AsyncSession, as_of: datetime, department_code: str | None = None
) -> list[tuple[str, int]]:
    """(department, overdue designations), most overdue first."""
    params: dict[str, Any] = {"as_of": as_of}
    clause = _department_clause(department_code, params)
    result = await session.execute(
        text(
            "SELECT e.department_code, count(*) FROM expectations e "
            f"WHERE {_OVERDUE}{clause} GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        params,
    )
    return [(code, int(count)) for code, count in result]


async def overdue_designations(
    session: AsyncSession, as_of: datetime, limit_per_department: int, department_code: str | None
) -> list[dict[str, Any]]:
    """The overdue designations, at most `limit_per_department` each, oldest deadline first."""
    params: dict[str, Any] = {"as_of": as_of, "limit": limit_per_department}
    clause = _department_clause(department_code, params)
    result = await session.execute(
        text(
            "SELECT * FROM ("
            " SELECT e.department_code, e.designation_id, e.list_type, e.memorandum_code,"
            " d.initiating_department, d.version, d.status, e.reached_at, e.deadline_workdays,"
            " e.due_date, e.overdue_from, e.provisional, e.last_republish_requested_at,"
            " row_number() OVER (PARTITION BY e.department_code"
            "  ORDER BY e.overdue_from, e.designation_id) AS position"
            " FROM expectations e JOIN designations d ON d.id = e.designation_id"
            f" WHERE {_OVERDUE}{clause}"
            ") ranked WHERE position <= :limit ORDER BY department_code, position"
        ),
        params,
    )
    return [dict(row) for row in result.mappings()]


async def designations_to_republish(
    session: AsyncSession,
    as_of: datetime,
    *,
    overdue_only: bool,
    department_code: str | None,
    not_requested_since: datetime | None,
) -> list[uuid.UUID]:
    """Designations some owing department has not acknowledged (past the deadline if asked)."""
    params: dict[str, Any] = {"as_of": as_of}
    condition = _OVERDUE if overdue_only else f"{_UNANSWERED} AND e.reached_at <= :as_of"
    clause = _department_clause(department_code, params)
    if not_requested_since is not None:
        clause += (
            " AND (e.last_republish_requested_at IS NULL"
            " OR e.last_republish_requested_at < :not_requested_since)"
        )
        params["not_requested_since"] = not_requested_since
    result = await session.execute(
        text(
            f"SELECT DISTINCT e.designation_id FROM expectations e WHERE {condition}{clause}"
            " ORDER BY 1"
        ),
        params,
    )
    return [row[0] for row in result]


async def designations_only_receipts_name(session: AsyncSession) -> list[uuid.UUID]:
    """Designations receipts answer but whose events never reached feedback (lost in transit)."""
    result = await session.execute(
        text(
            "SELECT DISTINCT r.designation_id FROM receipts r"
            " WHERE NOT EXISTS (SELECT 1 FROM designations d WHERE d.id = r.designation_id)"
            " ORDER BY 1"
        )
    )
    return [row[0] for row in result]


async def mark_requested(
    session: AsyncSession, designation_ids: list[uuid.UUID], at: datetime
) -> None:
    """Note the request on the unanswered expectations, skipping rows a consumer batch holds:
    this spans designations of every partition, so waiting for those rows (locked in the
    batch's order, not ours) could deadlock; a row skipped is being answered, or is asked
    for again by a later round."""
    await session.execute(
        text(
            "UPDATE expectations AS e SET last_republish_requested_at = :at"
            " FROM (SELECT designation_id, department_code FROM expectations"
            "  WHERE designation_id = ANY(CAST(:ids AS uuid[])) AND first_received_at IS NULL"
            "  FOR UPDATE SKIP LOCKED) AS free"
            " WHERE e.designation_id = free.designation_id"
            " AND e.department_code = free.department_code"
        ),
        {"at": at, "ids": [str(i) for i in designation_ids]},
    )


async def record_request(
    session: AsyncSession,
    request_id: uuid.UUID,
    reason: str,
    count: int,
    as_of: datetime,
    requested_by: str,
) -> None:
    await session.execute(
        text(
            "INSERT INTO republish_requests"
            " (request_id, reason, designation_count, as_of, requested_by)"
            " VALUES (:request_id, :reason, :count, :as_of, :requested_by)"
        ),
        {
            "request_id": request_id,
            "reason": reason,
            "count": count,
            "as_of": as_of,
            "requested_by": requested_by,
        },
    )


_RECONCILIATION_ROUND_LOCK = 0x6662_7263  # advisory lock: one periodic reconciliation at a time


async def lead_reconciliation_round(session: AsyncSession) -> bool:
    """Whether this instance runs the periodic round (held until the transaction ends); when
    several feedback instances run, the others skip it instead of asking twice."""
    return bool(
        await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _RECONCILIATION_ROUND_LOCK}
        )
    )
