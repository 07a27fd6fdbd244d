"""The oversight office's JSON API: statistics, the overdue list, reconciliation, reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.feedback.adapters.statistics_queries import Dimension, StatisticsFilter
from services.feedback.domain.periods import MONTH_PATTERN
from services.feedback.domain.reports import (
    InitiatorReport,
    OverdueReport,
    ReconciliationResult,
    StatisticsReport,
    Summary,
    TypicalCasesReport,
)
from services.feedback.entrypoints import exports
from services.feedback.entrypoints.dependencies import (
    OVERSIGHT_PROBLEMS,
    YEARS_PATTERN,
    AsOf,
    FeedbackApp,
    Oversight,
    Session,
    within_reporting_years,
)
from services.feedback.handlers import reports
from services.feedback.handlers.reconciliation import request_republish
from shared.audit.appending import append
from shared.audit.entries import Act, Actor

router = APIRouter(responses=OVERSIGHT_PROBLEMS)

CODE_PATTERN = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Code = Annotated[
    str | None, Query(max_length=100, pattern=CODE_PATTERN, description="a catalogue code")
]
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM, inclusive")]
ListType = Annotated[Literal["red", "black"] | None, Query(description="红名单 or 黑名单")]
Format = Annotated[exports.ExportFormat, Query(alias="format", description="json, csv or xlsx")]


@router.get(
    "/v1/statistics/departments",
    tags=["statistics"],
    summary="Figures per department, list type, memorandum, measure, month or region",
    response_model=StatisticsReport,
)
async def department_statistics(
    principal: Oversight,
    session: Session,
    as_of: AsOf,
    group_by: Annotated[
        list[Dimension],
        Query(description="dimensions to group by, in order (none: one row of totals)"),
    ] = ["department"],  # noqa: B006 - FastAPI copies defaults
    department: Code = None,
    region: Annotated[str | None, Query(max_length=100, pattern=TEXT_PATTERN)] = None,
    list_type: ListType = None,
    memorandum: Code = None,
    measure: Code = None,
    month_from: Month = None,
    month_to: Month = None,
) -> StatisticsReport:
    equals: dict[Dimension, str] = {}
    for dimension, value in (
        ("department", department),
        ("region", region),
        ("list_type", list_type),
        ("memorandum", memorandum),
        ("measure", measure),
    ):
        if value is not None:
            equals[dimension] = value  # type: ignore[index]
    where = StatisticsFilter(equals=equals, month_from=month_from, month_to=month_to)
    ordered = list(dict.fromkeys(group_by))
    return await reports.statistics(session, ordered, where, as_of)


@router.get(
    "/v1/statistics/regions",
    tags=["statistics"],
    summary="Figures per region of the responding departments",
    response_model=StatisticsReport,
)
async def region_statistics(
    principal: Oversight,
    session: Session,
    as_of: AsOf,
    list_type: ListType = None,
    month_from: Month = None,
    month_to: Month = None,
) -> StatisticsReport:
    equals: dict[Dimension, str] = {"list_type": list_type} if list_type else {}
    where = StatisticsFilter(equals=equals, month_from=month_from, month_to=month_to)
    return await reports.statistics(session, ["region"], where, as_of)


@router.get(
    "/v1/statistics/initiators",
    tags=["statistics"],
    summary="Per initiating department: designations made, exits, objections upheld",
    response_model=InitiatorReport,
)
async def initiator_statistics(
    principal: Oversight,
    session: Session,
    by_month: Annotated[bool, Query(description="one row per department and month")] = False,
    list_type: ListType = None,
    month_from: Month = None,
    month_to: Month = None,
) -> InitiatorReport:
    return await reports.initiators(
        session,
        by_month=by_month,
        list_type=list_type,
        month_from=month_from,
        month_to=month_to,
    )


@router.get(
    "/v1/overdue",
    tags=["overdue"],
    summary="The overdue list (通报): departments with designations unanswered past the deadline",
    response_model=OverdueReport,
    responses=exports.EXPORT_RESPONSES,
)
async def overdue_list(
    principal: Oversight,
    session: Session,
    app: FeedbackApp,
    as_of: AsOf,
    department: Code = None,
    limit: Annotated[
        int, Query(ge=1, le=10_000, description="designations listed per department")
    ] = 1000,
    export_format: Format = "json",
) -> Any:
    report = await reports.overdue(
        session,
        as_of,
        limit_per_department=limit,
        department_code=department,
        calendar=app.handlers.calendar,
    )
    if export_format == "json":
        return report
    return exports.download(
        export_format,
        "overdue",
        as_of,
        exports.OVERDUE_HEADER,
        exports.overdue_rows(report),
        "逾期未反馈",
    )


class ReconciliationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "overdue_receipt"}]},
    )

    reason: Literal["overdue_receipt", "broker_data_loss"] = Field(
        "overdue_receipt",
        description="overdue_receipt: unanswered past the deadline; broker_data_loss: every "
        "unanswered designation and those only receipts mention",
    )
    as_of: datetime | None = Field(
        None, description="default now", json_schema_extra={"pattern": YEARS_PATTERN}
    )
    department_code: str | None = Field(None, max_length=100, pattern=CODE_PATTERN)

    @field_validator("as_of")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        return None if value is None else within_reporting_years(value)


@router.post(
    "/v1/reconciliation",
    tags=["overdue"],
    summary="Ask the initiator to re-publish the designations not answered (对账)",
    status_code=202,
    response_model=ReconciliationResult,
)
async def reconcile(
    principal: Oversight,
    app: FeedbackApp,
    body: ReconciliationRequest | None = None,
) -> ReconciliationResult:
    request = body or ReconciliationRequest()
    as_of = request.as_of or datetime.now(UTC)
    async with app.runtime.unit_of_work() as uow:
        outcome = await request_republish(
            uow.session,
            app.settings,
            as_of=as_of,
            reason=request.reason,
            requested_by=f"{principal.department_code}/{principal.client_id}",
            chunk_size=app.settings.reconciliation_chunk_size,
            department_code=request.department_code,
        )
        change = {
            "as_of": outcome.as_of,
            "reason": outcome.reason,
            "department_code": request.department_code,
            "designations": len(outcome.designation_ids),
            "request_ids": outcome.request_ids,
        }
        target = outcome.as_of.isoformat()
        act = Act(Actor.of(principal), "reconciliation.requested", target, change)
        await append(uow.session, [act])
        await uow.commit()
    return ReconciliationResult(
        as_of=outcome.as_of,
        reason=outcome.reason,
        designations=len(outcome.designation_ids),
        request_ids=outcome.request_ids,
    )


@router.get(
    "/v1/reports/summary",
    tags=["reports"],
    summary="The 跟踪问效 summary: totals and the department ranking",
    response_model=Summary,
    responses=exports.EXPORT_RESPONSES,
)
async def summary_report(
    principal: Oversight, session: Session, as_of: AsOf, export_format: Format = "json"
) -> Any:
    summary = await reports.summary(session, as_of)
    if export_format == "json":
        return summary
    return exports.download(
        export_format,
        "ranking",
        as_of,
        exports.RANKING_HEADER,
        exports.ranking_rows(summary.departments),
        "部门排名",
    )


@router.get(
    "/v1/reports/typical-cases",
    tags=["reports"],
    summary="The monthly typical-cases report (典型案例), due by the 8th of the next month",
    response_model=TypicalCasesReport,
    responses=exports.EXPORT_RESPONSES,
)
async def typical_cases_report(
    principal: Oversight,
    session: Session,
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")],
    limit: Annotated[int, Query(ge=1, le=10_000, description="cases listed")] = 500,
    export_format: Format = "json",
) -> Any:
    report = await reports.typical_cases(session, month, limit)
    if export_format == "json":
        return report
    return exports.download(
        export_format,
        "typical-cases",
        month,
        exports.TYPICAL_CASES_HEADER,
        exports.typical_case_rows(report),
        "典型案例",
    )
