"""CSV and XLSX downloads of the reports, with Chinese column headers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from fastapi import Response

from services.feedback.domain.reports import (
    DepartmentRow,
    OverdueReport,
    TypicalCasesReport,
)
from services.feedback.entrypoints.dashboard import LIST_TYPE_NAMES, local_time
from shared.tabular import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, write_csv, write_xlsx

ExportFormat = Literal["json", "csv", "xlsx"]

EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON, or with `format=csv|xlsx` the table as a download",
    }
}

RANKING_HEADER = (
    "排名",
    "部门代码",
    "部门名称",
    "地区",
    "应响应数",
    "已签收数",
    "签收率",
    "未到期未反馈数",
    "逾期未反馈数",
    "逾期后签收数",
    "响应时长中位数(秒)",
    "响应时长P90(秒)",
    "措施已实施数",
    "措施不适用数",
    "措施已解除数",
    "奖惩执行案例数",
)

OVERDUE_HEADER = (
    "部门代码",
    "部门名称",
    "认定编号",
    "认定版本",
    "认定状态",
    "名单类型",
    "备忘录",
    "发起部门",
    "推送时间",
    "反馈期限(工作日)",
    "反馈截止日",
    "期限为暂定",
    "逾期工作日",
    "最近一次重新推送请求",
)

TYPICAL_CASES_HEADER = (
    "执行部门",
    "措施",
    "名单类型",
    "备忘录",
    "主体",
    "主体代码",
    "执行时间",
    "业务系统",
    "业务案号",
    "场景",
    "执行结果",
    "金额(元)",
    "行政区划",
    "认定编号",
)


def ranking_rows(rows: Sequence[DepartmentRow]) -> list[list[Any]]:
    return [
        [
            row.rank,
            row.department_code,
            row.department_name,
            row.region or "",
            row.owed,
            row.acknowledged,
            "" if row.response_rate is None else f"{row.response_rate * 100:.2f}%",
            row.waiting,
            row.overdue,
            row.answered_late,
            "" if row.median_response_seconds is None else row.median_response_seconds,
            "" if row.p90_response_seconds is None else row.p90_response_seconds,
            row.applied,
            row.not_applicable,
            row.lifted,
            row.enforcements,
        ]
        for row in rows
    ]


def overdue_rows(report: OverdueReport) -> list[list[Any]]:
    return [
        [
            department.department_code,
            department.department_name,
            str(item.designation_id),
            item.designation_version,
            item.status,
            LIST_TYPE_NAMES.get(item.list_type, item.list_type),
            item.memorandum_title or item.memorandum_code,
            item.initiating_department,
            local_time(item.reached_at),
            item.deadline_workdays,
            item.due_date.isoformat(),
            "是" if item.deadline_provisional else "否",
            item.workdays_overdue,
            local_time(item.republish_requested_at) if item.republish_requested_at else "",
        ]
        for department in report.departments
        for item in department.designations
    ]


def typical_case_rows(report: TypicalCasesReport) -> list[list[Any]]:
    return [
        [
            case.department_name,
            case.measure_title or case.measure_code or "",
            LIST_TYPE_NAMES.get(case.list_type or "", case.list_type or ""),
            case.memorandum_title or case.memorandum_code or "",
            case.subject_name or "",
            case.subject_id or "",
            local_time(case.enforced_at),
            case.business_system or "",
            case.case_reference or "",
            case.scenario or "",
            case.result or "",
            "" if case.amount is None else case.amount,
            case.district or "",
            str(case.designation_id),
        ]
        for case in report.cases
    ]


def download(
    export_format: Literal["csv", "xlsx"],
    name: str,
    as_of: datetime | str,
    header: Sequence[str],
    rows: list[list[Any]],
    sheet: str,
) -> Response:
    stamp = as_of if isinstance(as_of, str) else as_of.strftime("%Y%m%dT%H%M%S")
    filename = f"{name}-{stamp}.{export_format}"
    if export_format == "csv":
        content, media_type = write_csv(header, rows), CSV_MEDIA_TYPE
    else:
        content, media_type = write_xlsx(header, rows, title=sheet), XLSX_MEDIA_TYPE
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
