"""Public, read-only aggregates (结果公开) and the dashboard page: no subject, no designation id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.feedback.domain.reports import PublicStatistics
from services.feedback.entrypoints import exports
from services.feedback.entrypoints.dashboard import render_dashboard
from services.feedback.entrypoints.dependencies import INVALID_INPUT, AsOf, Session
from services.feedback.entrypoints.oversight_routes import Format
from services.feedback.handlers import reports

router = APIRouter(responses=INVALID_INPUT)


@router.get(
    "/v1/public/statistics",
    tags=["public"],
    summary="Publishable aggregates: totals, department ranking, list types, monthly trends",
    response_model=PublicStatistics,
    responses=exports.EXPORT_RESPONSES,
)
async def public_statistics(session: Session, as_of: AsOf, export_format: Format = "json") -> Any:
    statistics = await reports.public_statistics(session, as_of)
    if export_format == "json":
        return statistics
    return exports.download(
        export_format,
        "ranking",
        as_of,
        exports.RANKING_HEADER,
        exports.ranking_rows(statistics.departments),
        "部门排名",
    )


@router.get(
    "/dashboard",
    tags=["public"],
    summary="The oversight dashboard (跟踪问效 监督看板), HTML in Chinese",
    response_class=HTMLResponse,
)
async def dashboard(session: Session, as_of: AsOf) -> HTMLResponse:
    statistics = await reports.public_statistics(session, as_of)
    return HTMLResponse(render_dashboard(statistics))
