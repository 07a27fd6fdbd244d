"""Building the reports from the SQL aggregates (read-only use cases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import overdue_queries, statistics_queries, typical_cases_queries
from services.feedback.adapters.statistics_queries import (
    CatalogueNames,
    Dimension,
    StatisticsFilter,
    catalogue_names,
)
from services.feedback.domain.obligations import local_date, workdays_after
from services.feedback.domain.periods import TYPICAL_CASES_BASIS, typical_cases_due
from services.feedback.domain.reports import (
    DepartmentRow,
    Figures,
    InitiatorReport,
    InitiatorRow,
    MonthlyTrend,
    OverdueDepartment,
    OverdueDesignation,
    OverdueReport,
    PublicStatistics,
    StatisticsReport,
    StatisticsRow,
    Summary,
    TypicalCase,
    TypicalCasesByDepartment,
    TypicalCasesReport,
    figures_from,
    ranked,
)
from shared.identifiers import SubjectKind, mask_person_name, mask_subject_id
from shared.workdays import WorkdayCalendar


def _labelled(row: dict[str, object], names: CatalogueNames) -> StatisticsRow:
    department = row.get("department")
    memorandum = row.get("memorandum")
    measure = row.get("measure")
    return StatisticsRow(
        **figures_from(row),
        department_code=department,
        department_name=names.department(str(department)) if department else None,
        region=row.get("region") or (names.region(str(department)) if department else None),
        list_type=row.get("list_type"),
        memorandum_code=memorandum,
        memorandum_title=names.memoranda.get(str(memorandum)) if memorandum else None,
        measure_code=measure,
        measure_title=names.measures.get(str(measure)) if measure else None,
        month=row.get("month"),
    )


async def statistics(
    session: AsyncSession,
    group_by: Sequence[Dimension],
    where: StatisticsFilter,
    as_of: datetime,
) -> StatisticsReport:
    rows = await statistics_queries.department_figures(session, group_by, where, as_of)
    names = await catalogue_names(session)
    return StatisticsReport(
        as_of=as_of, group_by=list(group_by), rows=[_labelled(row, names) for row in rows]
    )


async def _department_rows(session: AsyncSession, as_of: datetime) -> list[DepartmentRow]:
    rows = await statistics_queries.department_figures(
        session, ["department"], StatisticsFilter(), as_of
    )
    names = await catalogue_names(session)
    plain = [
        {
            **figures_from(row),
            "department_code": row["department"],
            "department_name": names.department(row["department"]),
            "region": names.region(row["department"]),
        }
        for row in rows
    ]
    return [DepartmentRow(**row) for row in ranked(plain)]


async def _totals(session: AsyncSession, as_of: datetime) -> Figures:
    rows = await statistics_queries.department_figures(session, [], StatisticsFilter(), as_of)
    return Figures(**figures_from(rows[0]))


async def summary(session: AsyncSession, as_of: datetime) -> Summary:
    return Summary(
        as_of=as_of,
        totals=await _totals(session, as_of),
        departments=await _department_rows(session, as_of),
    )


async def initiators(
    session: AsyncSession,
    *,
    by_month: bool,
    list_type: str | None,
    month_from: str | None,
    month_to: str | None,
) -> InitiatorReport:
    rows = await statistics_queries.initiator_figures(
        session, by_month, list_type, month_from, month_to
    )
    names = await catalogue_names(session)
    return InitiatorReport(
        rows=[
            InitiatorRow(
                **{key: value for key, value in row.items() if key != "reached_month"},
                department_name=names.department(row["initiating_department"]),
                month=row.get("reached_month"),
            )
            for row in rows
        ]
    )


async def overdue(
    session: AsyncSession,
    as_of: datetime,
    *,
    limit_per_department: int,
    department_code: str | None,
    calendar: WorkdayCalendar,
) -> OverdueReport:
    counts = await overdue_queries.overdue_counts(session, as_of, department_code)
    details = await overdue_queries.overdue_designations(
        session, as_of, limit_per_department, department_code
    )
    names = await catalogue_names(session)
    late = workdays_after((row["due_date"] for row in details), local_date(as_of), calendar)
    listed: dict[str, list[OverdueDesignation]] = {}
    for row in details:
        listed.setdefault(row["department_code"], []).append(
            OverdueDesignation(
                designation_id=row["designation_id"],
                designation_version=row["version"],
                status=row["status"],
                list_type=row["list_type"],
                memorandum_code=row["memorandum_code"],
                memorandum_title=names.memoranda.get(row["memorandum_code"]),
                initiating_department=row["initiating_department"],
                reached_at=row["reached_at"],
                deadline_workdays=row["deadline_workdays"],
                due_date=row["due_date"],
                overdue_from=row["overdue_from"],
                deadline_provisional=row["provisional"],
                workdays_overdue=late[row["due_date"]],
                republish_requested_at=row["last_republish_requested_at"],
            )
        )
    departments = [
        OverdueDepartment(
            department_code=code,
            department_name=names.department(code),
            region=names.region(code),
            overdue=count,
            designations=listed.get(code, []),
            complete=len(listed.get(code, [])) == count,
        )
        for code, count in counts
    ]
    return OverdueReport(
        as_of=as_of, overdue=sum(count for _, count in counts), departments=departments
    )


def _masked_subject(row: dict[str, object]) -> tuple[str | None, str | None]:
    kind, name, subject_id = row["subject_kind"], row["subject_name"], row["subject_id"]
    if kind is None or name is None or subject_id is None:
        return None, None
    if kind == SubjectKind.PERSON:
        return mask_person_name(str(name)), mask_subject_id(SubjectKind.PERSON, str(subject_id))
    return str(name), str(subject_id)


async def typical_cases(session: AsyncSession, month: str, limit: int) -> TypicalCasesReport:
    counts = await typical_cases_queries.enforcement_counts(session, month)
    rows = await typical_cases_queries.enforcements(session, month, limit)
    names = await catalogue_names(session)
    per_department: dict[str, dict[str, int]] = {}
    for code, list_type, count in counts:
        tally = per_department.setdefault(code, {"red": 0, "black": 0, "total": 0})
        if list_type in ("red", "black"):
            tally[list_type] += count
        tally["total"] += count
    cases = []
    for row in rows:
        data = row["data"]
        subject_name, subject_id = _masked_subject(row)
        cases.append(
            TypicalCase(
                receipt_id=row["receipt_id"],
                department_code=row["department_code"],
                department_name=names.department(row["department_code"]),
                measure_code=row["measure_code"],
                measure_title=names.measures.get(row["measure_code"] or ""),
                designation_id=row["designation_id"],
                list_type=row["list_type"],
                memorandum_code=row["memorandum_code"],
                memorandum_title=names.memoranda.get(row["memorandum_code"] or ""),
                subject_kind=row["subject_kind"],
                subject_name=subject_name,
                subject_id=subject_id,
                enforced_at=row["occurred_at"],
                business_system=data.get("business_system"),
                case_reference=data.get("case_reference"),
                scenario=data.get("scenario"),
                result=data.get("result"),
                amount=data.get("amount"),
                district=data.get("district"),
            )
        )
    total = sum(tally["total"] for tally in per_department.values())
    return TypicalCasesReport(
        month=month,
        due_date=typical_cases_due(month),
        basis=TYPICAL_CASES_BASIS,
        total=total,
        by_department=[
            TypicalCasesByDepartment(
                department_code=code,
                department_name=names.department(code),
                incentives=tally["red"],
                punishments=tally["black"],
                total=tally["total"],
            )
            for code, tally in sorted(per_department.items())
        ],
        cases=cases,
        complete=len(cases) == total,
    )


async def public_statistics(session: AsyncSession, as_of: datetime) -> PublicStatistics:
    names = await catalogue_names(session)
    by_list = await statistics_queries.department_figures(
        session, ["list_type"], StatisticsFilter(), as_of
    )
    by_month = await statistics_queries.department_figures(
        session, ["month"], StatisticsFilter(), as_of
    )
    made = await statistics_queries.designations_by_month(session, as_of)
    months = sorted({str(row["month"]) for row in by_month if row["month"]} | set(made))
    figures = {row["month"]: row for row in by_month}
    return PublicStatistics(
        as_of=as_of,
        designations=sum(made.values()),
        totals=await _totals(session, as_of),
        departments=await _department_rows(session, as_of),
        list_types=[_labelled(row, names) for row in by_list],
        months=[
            MonthlyTrend(
                month=month,
                designations=made.get(month, 0),
                **figures_from(figures.get(month, {})),
            )
            for month in months
        ],
    )
