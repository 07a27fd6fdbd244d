"""The shapes of the 跟踪问效 reports, and the pure rules that derive rates and rankings."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from services.feedback.domain.obligations import SHANGHAI, as_aware


def _in_shanghai(moment: datetime) -> datetime:
    return as_aware(moment).astimezone(SHANGHAI)


LocalDateTime = Annotated[datetime, AfterValidator(_in_shanghai)]
"""Instants are shown in Asia/Shanghai (+08:00), the platform's time zone."""


class Figures(BaseModel):
    """What departments did with the designations that reached them."""

    owed: int = Field(0, description="designation × department pairs that reached it (应响应)")
    acknowledged: int = Field(0, description="of those, answered with receipt.received (已签收)")
    waiting: int = Field(0, description="unanswered, deadline not yet passed")
    overdue: int = Field(0, description="unanswered past the deadline (逾期未反馈)")
    answered_late: int = Field(0, description="acknowledged, but after the deadline")
    response_rate: float | None = Field(None, description="acknowledged / owed")
    median_response_seconds: float | None = Field(
        None, description="median of first receipt.received − time the designation reached it"
    )
    p90_response_seconds: float | None = None
    applied: int = Field(0, description="measure-applied receipts (措施已实施)")
    not_applicable: int = Field(0, description="measure-not-applicable receipts")
    lifted: int = Field(0, description="measure-lifted receipts (措施已解除)")
    enforcements: int = Field(0, description="enforcement receipts (奖惩案例)")


def figures_from(row: Mapping[str, Any]) -> dict[str, Any]:
    """The Figures fields of one aggregate row, with the derived ones filled in."""
    owed = int(row.get("owed") or 0)
    acknowledged = int(row.get("acknowledged") or 0)
    overdue = int(row.get("overdue") or 0)
    return {
        "owed": owed,
        "acknowledged": acknowledged,
        "overdue": overdue,
        "waiting": owed - acknowledged - overdue,
        "answered_late": int(row.get("answered_late") or 0),
        "response_rate": round(acknowledged / owed, 4) if owed else None,
        "median_response_seconds": _seconds(row.get("median_response_seconds")),
        "p90_response_seconds": _seconds(row.get("p90_response_seconds")),
        "applied": int(row.get("applied") or 0),
        "not_applicable": int(row.get("not_applicable") or 0),
        "lifted": int(row.get("lifted") or 0),
        "enforcements": int(row.get("enforcements") or 0),
    }


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


class StatisticsRow(Figures):
    department_code: str | None = None
    department_name: str | None = None
    region: str | None = None
    list_type: str | None = None
    memorandum_code: str | None = None
    memorandum_title: str | None = None
    measure_code: str | None = None
    measure_title: str | None = None
    month: str | None = Field(None, description="YYYY-MM, Asia/Shanghai")


class StatisticsReport(BaseModel):
    as_of: LocalDateTime
    group_by: list[str]
    rows: list[StatisticsRow]


class DepartmentRow(Figures):
    rank: int = Field(description="1 = best response rate, then fewest overdue, fastest")
    department_code: str
    department_name: str
    region: str | None = None


class Summary(BaseModel):
    """The 跟踪问效 summary: totals and the department ranking."""

    as_of: LocalDateTime
    totals: Figures
    departments: list[DepartmentRow]


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order department rows for the ranking and number them."""

    def key(row: dict[str, Any]) -> tuple[float, int, float, str]:
        rate = row["response_rate"]
        median = row["median_response_seconds"]
        return (
            -(rate if rate is not None else -1.0),
            row["overdue"],
            median if median is not None else float("inf"),
            row["department_code"],
        )

    ordered = sorted(rows, key=key)
    return [{**row, "rank": position} for position, row in enumerate(ordered, start=1)]


class InitiatorRow(BaseModel):
    initiating_department: str
    department_name: str
    month: str | None = None
    designations: int = Field(description="designations made (认定)")
    active: int
    suspended: int
    exits: int = Field(description="repaired + revoked + corrected + expired (移出)")
    repaired: int
    revoked: int
    corrected: int
    expired: int
    objections_upheld: int = Field(description="corrected, or revoked right after a suspension")


class InitiatorReport(BaseModel):
    rows: list[InitiatorRow]


class OverdueDesignation(BaseModel):
    designation_id: uuid.UUID
    designation_version: int
    status: str
    list_type: str
    memorandum_code: str
    memorandum_title: str | None = None
    initiating_department: str
    reached_at: LocalDateTime
    deadline_workdays: int
    due_date: date
    overdue_from: LocalDateTime = Field(
        description="the first instant after the due day (Asia/Shanghai)"
    )
    deadline_provisional: bool
    workdays_overdue: int
    republish_requested_at: LocalDateTime | None = None


class OverdueDepartment(BaseModel):
    department_code: str
    department_name: str
    region: str | None = None
    overdue: int
    designations: list[OverdueDesignation]
    complete: bool = Field(description="false when only the first `limit` designations are listed")


class OverdueReport(BaseModel):
    """The overdue list (通报): departments with designations unanswered past the deadline."""

    as_of: LocalDateTime
    overdue: int
    departments: list[OverdueDepartment]


class ReconciliationResult(BaseModel):
    as_of: LocalDateTime
    reason: str
    designations: int
    request_ids: list[uuid.UUID]


class TypicalCase(BaseModel):
    receipt_id: uuid.UUID
    department_code: str
    department_name: str
    measure_code: str | None
    measure_title: str | None = None
    designation_id: uuid.UUID
    list_type: str | None = None
    memorandum_code: str | None = None
    memorandum_title: str | None = None
    subject_kind: str | None = None
    subject_name: str | None = Field(None, description="persons masked")
    subject_id: str | None = Field(None, description="persons masked")
    enforced_at: LocalDateTime
    business_system: str | None = None
    case_reference: str | None = None
    scenario: str | None = None
    result: str | None = None
    amount: float | None = None
    district: str | None = None


class TypicalCasesByDepartment(BaseModel):
    department_code: str
    department_name: str
    incentives: int = Field(description="enforcements of red-list designations (守信激励)")
    punishments: int = Field(description="enforcements of black-list designations (失信惩戒)")
    total: int


class TypicalCasesReport(BaseModel):
    """The monthly typical-cases report (典型案例) built from recorded enforcements."""

    month: str
    due_date: date
    basis: str
    total: int
    by_department: list[TypicalCasesByDepartment]
    cases: list[TypicalCase]
    complete: bool


class MonthlyTrend(Figures):
    month: str
    designations: int = Field(0, description="designations made that month")


class PublicStatistics(BaseModel):
    """Publishable aggregates (结果公开): no subject, no designation id."""

    as_of: LocalDateTime
    designations: int
    totals: Figures
    departments: list[DepartmentRow]
    list_types: list[StatisticsRow]
    months: list[MonthlyTrend]
