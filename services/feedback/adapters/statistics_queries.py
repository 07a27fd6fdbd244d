"""The 跟踪问效 figures as SQL aggregates over expectations and receipts.

Two fact sets are aggregated on the same keys and added up: expected responses (owed,
acknowledged, overdue, response times — counted in the month the designation reached the
department) and receipts (applied, not applicable, lifted, enforcements — counted in the month
they happened). `as_of` cuts both: what had reached departments and been recorded by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.domain.outcomes import EXIT_STATUSES

Dimension = Literal["department", "region", "list_type", "memorandum", "measure", "month"]
DIMENSIONS: tuple[Dimension, ...] = (
    "department",
    "region",
    "list_type",
    "memorandum",
    "measure",
    "month",
)
FIGURES = (
    "owed",
    "acknowledged",
    "answered_late",
    "overdue",
    "median_response_seconds",
    "p90_response_seconds",
    "applied",
    "not_applicable",
    "lifted",
    "enforcements",
)

_OWED_KEYS: dict[Dimension, str] = {
    "department": "e.department_code",
    "region": "dep.region",
    "list_type": "e.list_type",
    "memorandum": "e.memorandum_code",
    "measure": "m.measure_code",
    "month": "e.reached_month",
}
_RECEIPT_KEYS: dict[Dimension, str] = {
    "department": "r.department_code",
    "region": "dep.region",
    "list_type": "d.list_type",
    "memorandum": "d.memorandum_code",
    "measure": "r.measure_code",
    "month": "r.occurred_month",
}
_ANSWERED = "e.first_received_at <= :as_of"
_RESPONSE_SECONDS = "greatest(0, extract(epoch FROM e.first_received_at - e.reached_at))::float8"


@dataclass(frozen=True)
class StatisticsFilter:
    """Equality filters on dimensions, and an inclusive month range."""

    equals: dict[Dimension, str] = field(default_factory=dict)
    month_from: str | None = None
    month_to: str | None = None


def _where(keys: dict[Dimension, str], where: StatisticsFilter) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for dimension, value in where.equals.items():
        clauses.append(f"{keys[dimension]} = :f_{dimension}")
        params[f"f_{dimension}"] = value
    if where.month_from:
        clauses.append(f"{keys['month']} >= :month_from")
        params["month_from"] = where.month_from
    if where.month_to:
        clauses.append(f"{keys['month']} <= :month_to")
        params["month_to"] = where.month_to
    return "".join(f" AND {clause}" for clause in clauses), params


def _select_keys(keys: dict[Dimension, str], group_by: Sequence[Dimension]) -> str:
    return "".join(f"{keys[d]} AS k_{d}, " for d in group_by)


def _group(keys: dict[Dimension, str], group_by: Sequence[Dimension]) -> str:
    return f" GROUP BY {', '.join(keys[d] for d in group_by)}" if group_by else ""


def _owed_sql(group_by: Sequence[Dimension], where: StatisticsFilter) -> tuple[str, dict[str, Any]]:
    by_measure = "measure" in group_by or "measure" in where.equals
    join = " CROSS JOIN LATERAL unnest(e.measure_codes) AS m(measure_code)" if by_measure else ""
    filters, params = _where(_OWED_KEYS, where)
    sql = (
        f"SELECT {_select_keys(_OWED_KEYS, group_by)}"
        "count(*) AS owed, "
        f"count(*) FILTER (WHERE {_ANSWERED}) AS acknowledged, "
        f"count(*) FILTER (WHERE {_ANSWERED} AND e.first_received_at >= e.overdue_from)"
        " AS answered_late, "
        "count(*) FILTER (WHERE (e.first_received_at IS NULL OR e.first_received_at > :as_of)"
        " AND e.overdue_from <= :as_of) AS overdue, "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {_RESPONSE_SECONDS})"
        f" FILTER (WHERE {_ANSWERED}) AS median_response_seconds, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {_RESPONSE_SECONDS})"
        f" FILTER (WHERE {_ANSWERED}) AS p90_response_seconds, "
        "0 AS applied, 0 AS not_applicable, 0 AS lifted, 0 AS enforcements "
        f"FROM expectations e{join} "
        "LEFT JOIN catalogue_departments dep ON dep.code = e.department_code "
        f"WHERE e.reached_at <= :as_of{filters}{_group(_OWED_KEYS, group_by)}"
    )
    return sql, params


def _receipts_sql(
    group_by: Sequence[Dimension], where: StatisticsFilter
) -> tuple[str, dict[str, Any]]:
    filters, params = _where(_RECEIPT_KEYS, where)
    counts = ", ".join(
        f"count(*) FILTER (WHERE r.kind = '{kind}') AS {name}"
        for kind, name in (
            ("applied", "applied"),
            ("not_applicable", "not_applicable"),
            ("lifted", "lifted"),
            ("enforcement", "enforcements"),
        )
    )
    sql = (
        f"SELECT {_select_keys(_RECEIPT_KEYS, group_by)}"
        "0 AS owed, 0 AS acknowledged, 0 AS answered_late, 0 AS overdue, "
        "NULL::float8 AS median_response_seconds, NULL::float8 AS p90_response_seconds, "
        f"{counts} "
        "FROM receipts r "
        "LEFT JOIN designations d ON d.id = r.designation_id "
        "LEFT JOIN catalogue_departments dep ON dep.code = r.department_code "
        f"WHERE r.kind <> 'received' AND r.recorded_at <= :as_of{filters}"
        f"{_group(_RECEIPT_KEYS, group_by)}"
    )
    return sql, params


async def department_figures(
    session: AsyncSession,
    group_by: Sequence[Dimension],
    where: StatisticsFilter,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """One row per combination of `group_by` keys (one row of totals when empty)."""
    owed, owed_params = _owed_sql(group_by, where)
    receipts, receipt_params = _receipts_sql(group_by, where)
    keys = ", ".join(f"k_{d}" for d in group_by)
    sums = ", ".join(
        f"max({name}) AS {name}" if name.endswith("_seconds") else f"sum({name})::bigint AS {name}"
        for name in FIGURES
    )
    sql = f"SELECT {keys + ', ' if keys else ''}{sums} FROM ({owed} UNION ALL {receipts}) facts"
    if keys:
        sql += f" GROUP BY {keys} ORDER BY {keys}"
    result = await session.execute(text(sql), {"as_of": as_of, **owed_params, **receipt_params})
    rows = []
    for row in result.mappings():
        item: dict[str, Any] = {d: row[f"k_{d}"] for d in group_by}
        item.update({name: row[name] for name in FIGURES})
        rows.append(item)
    return rows


_EXITS = ", ".join(f"'{status.value}'" for status in EXIT_STATUSES)
_STATUS_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE d.status = '{status}') AS {status}"
    for status in ("active", "suspended", "repaired", "revoked", "corrected", "expired")
)


async def initiator_figures(
    session: AsyncSession,
    by_month: bool,
    list_type: str | None,
    month_from: str | None,
    month_to: str | None,
) -> list[dict[str, Any]]:
    """Per initiating department (and month reached): designations made, exits, objections upheld."""
    keys = "d.initiating_department" + (", d.reached_month" if by_month else "")
    clauses, params = [], {}
    if list_type:
        clauses.append("d.list_type = :list_type")
        params["list_type"] = list_type
    if month_from:
        clauses.append("d.reached_month >= :month_from")
        params["month_from"] = month_from
    if month_to:
        clauses.append("d.reached_month <= :month_to")
        params["month_to"] = month_to
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    sql = (
        f"SELECT {keys}, count(*) AS designations, {_STATUS_COUNTS}, "
        f"count(*) FILTER (WHERE d.status IN ({_EXITS})) AS exits, "
        "count(*) FILTER (WHERE d.status = 'corrected'"
        " OR (d.status = 'revoked' AND p.status = 'suspended')) AS objections_upheld "
        "FROM designations d "
        "LEFT JOIN designation_versions p ON p.designation_id = d.id AND p.version = d.version - 1 "
        f"{where}GROUP BY {keys} ORDER BY {keys}"
    )
    result = await session.execute(text(sql), params)
    return [dict(row) for row in result.mappings()]


@dataclass(frozen=True)
class CatalogueNames:
    """Names from the held catalogue, to label codes in reports."""

    departments: dict[str, tuple[str, str]]
    memoranda: dict[str, str]
    measures: dict[str, str]

    def department(self, code: str) -> str:
        return self.departments.get(code, (code, ""))[0]

    def region(self, code: str) -> str | None:
        found = self.departments.get(code)
        return found[1] if found else None


async def catalogue_names(session: AsyncSession) -> CatalogueNames:
    departments = await session.execute(
        text("SELECT code, name, region FROM catalogue_departments")
    )
    memoranda = await session.execute(text("SELECT code, title FROM catalogue_memoranda"))
    measures = await session.execute(text("SELECT code, title FROM catalogue_measures"))
    return CatalogueNames(
        departments={code: (name, region) for code, name, region in departments},
        memoranda={str(code): str(title) for code, title in memoranda},
        measures={str(code): str(title) for code, title in measures},
    )


async def designations_by_month(session: AsyncSession, as_of: datetime) -> dict[str, int]:
    """Designations made per month they reached the departments."""
    result = await session.execute(
        text(
            "SELECT reached_month, count(*) FROM designations WHERE reached_at <= :as_of"
            " GROUP BY 1 ORDER BY 1"
        ),
        {"as_of": as_of},
    )
    return {month: int(count) for month, count in result}
