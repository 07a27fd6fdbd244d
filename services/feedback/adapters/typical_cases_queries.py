"""Enforcements recorded in a month: the material of the typical-cases report (典型案例)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_FROM = (
    "FROM receipts r LEFT JOIN designations d ON d.id = r.designation_id "
    "WHERE r.kind = 'enforcement' AND r.occurred_month = :month"
)


async def enforcement_counts(
    session: AsyncSession, month: str
) -> list[tuple[str, str | None, int]]:
    """(department, list type, enforcements) of the month."""
    result = await session.execute(
        text(
            f"SELECT r.department_code, d.list_type, count(*) {_FROM} GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        {"month": month},
    )
    return [(code, list_type, int(count)) for code, list_type, count in result]


async def enforcements(session: AsyncSession, month: str, limit: int) -> list[dict[str, Any]]:
    result = await session.execute(
        text(
            "SELECT r.receipt_id, r.department_code, r.measure_code, r.designation_id,"
            " r.occurred_at, r.data, d.list_type, d.memorandum_code, d.subject_kind,"
            " d.subject_id, d.subject_name, d.initiating_department "
            f"{_FROM} ORDER BY r.occurred_at, r.receipt_id LIMIT :limit"
        ),
        {"month": month, "limit": limit},
    )
    return [dict(row) for row in result.mappings()]
