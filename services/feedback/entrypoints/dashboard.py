"""The oversight dashboard (跟踪问效 监督看板): one HTML page rendered on the server.

Everything on it is a publishable aggregate. The overdue designations themselves (with their
ids) are loaded by the page's own script from `/v1/overdue`, with an oversight token the user
enters; the token never leaves the browser except in that request.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from services.feedback.domain.obligations import SHANGHAI
from services.feedback.domain.reports import DepartmentRow, PublicStatistics
from services.feedback.entrypoints.charts import Series, bar_chart, line_chart
from services.feedback.entrypoints.dashboard_assets import SCRIPT, STYLE

LIST_TYPE_NAMES = {"red": "红名单(守信激励)", "black": "黑名单(失信惩戒)"}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分" if minutes else f"{int(seconds)}秒"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def local_time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _card(label: str, value: str, key: str) -> str:
    return (
        f'<div class="card" data-total="{key}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div></div>'
    )


def _totals(stats: PublicStatistics) -> str:
    t = stats.totals
    cards = [
        ("认定总数", str(stats.designations), "designations"),
        ("应响应(部门×认定)", str(t.owed), "owed"),
        ("已签收", str(t.acknowledged), "acknowledged"),
        ("签收率", percent(t.response_rate), "response_rate"),
        ("逾期未反馈", str(t.overdue), "overdue"),
        ("措施已实施", str(t.applied), "applied"),
        ("措施已解除", str(t.lifted), "lifted"),
        ("奖惩执行案例", str(t.enforcements), "enforcements"),
        ("响应时长中位数", duration(t.median_response_seconds), "median"),
    ]
    return '<section class="cards">' + "".join(_card(*c) for c in cards) + "</section>"


def _ranking_row(row: DepartmentRow) -> str:
    cells = [
        str(row.rank),
        row.department_name,
        row.region or "—",
        str(row.owed),
        str(row.acknowledged),
        percent(row.response_rate),
        str(row.overdue),
        duration(row.median_response_seconds),
        duration(row.p90_response_seconds),
        str(row.applied),
        str(row.not_applicable),
        str(row.lifted),
        str(row.enforcements),
    ]
    overdue_class = ' class="lagging"' if row.overdue else ""
    return (
        f'<tr data-department="{escape(row.department_code)}"{overdue_class}>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in cells)
        + "</tr>"
    )


_RANKING_HEADER = (
    "排名",
    "部门",
    "地区",
    "应响应",
    "已签收",
    "签收率",
    "逾期未反馈",
    "响应时长中位数",
    "响应时长P90",
    "措施已实施",
    "不适用",
    "已解除",
    "奖惩案例",
)


def _ranking(stats: PublicStatistics) -> str:
    if not stats.departments:
        body = f'<tr><td colspan="{len(_RANKING_HEADER)}">暂无数据</td></tr>'
    else:
        body = "".join(_ranking_row(row) for row in stats.departments)
    head = "".join(f"<th>{escape(name)}</th>" for name in _RANKING_HEADER)
    return (
        '<section id="ranking"><h2>部门响应排名</h2>'
        f'<table class="ranking"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        "</section>"
    )


def _trends(stats: PublicStatistics) -> str:
    months = [m.month for m in stats.months]
    if not months:
        return '<section id="trends"><h2>月度趋势</h2><p>暂无数据</p></section>'
    responses = bar_chart(
        "每月推送与反馈(部门×认定)",
        months,
        [
            Series("应响应", "#3b6fb6", [m.owed for m in stats.months]),
            Series("已签收", "#2e9d5b", [m.acknowledged for m in stats.months]),
            Series("逾期未反馈", "#d2453b", [m.overdue for m in stats.months]),
        ],
    )
    enforcement = line_chart(
        "每月认定、措施实施与奖惩执行",
        months,
        [
            Series("认定", "#7a55b5", [m.designations for m in stats.months]),
            Series("措施已实施", "#e08a1e", [m.applied for m in stats.months]),
            Series("奖惩执行案例", "#1d8c9c", [m.enforcements for m in stats.months]),
        ],
    )
    return (
        '<section id="trends"><h2>月度趋势</h2>'
        f'<figure id="chart-responses">{responses}</figure>'
        f'<figure id="chart-enforcements">{enforcement}</figure></section>'
    )


def _list_types(stats: PublicStatistics) -> str:
    rows = "".join(
        f'<tr data-list-type="{escape(row.list_type or "")}">'
        f"<td>{escape(LIST_TYPE_NAMES.get(row.list_type or '', row.list_type or '未知'))}</td>"
        f"<td>{row.owed}</td><td>{row.acknowledged}</td><td>{percent(row.response_rate)}</td>"
        f"<td>{row.overdue}</td><td>{row.applied}</td><td>{row.enforcements}</td></tr>"
        for row in stats.list_types
    )
    return (
        '<section id="list-types"><h2>红黑名单分类</h2><table><thead><tr><th>名单</th>'
        "<th>应响应</th><th>已签收</th><th>签收率</th><th>逾期未反馈</th><th>措施已实施</th>"
        f"<th>奖惩案例</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _overdue(stats: PublicStatistics) -> str:
    lagging = sorted(
        (row for row in stats.departments if row.overdue),
        key=lambda row: (-row.overdue, row.department_code),
    )
    if lagging:
        items = "".join(
            f'<li data-department="{escape(row.department_code)}">'
            f"<strong>{escape(row.department_name)}</strong>:"
            f'<span class="count">{row.overdue}</span> 件逾期未反馈</li>'
            for row in lagging
        )
        named = f'<ol class="overdue-named">{items}</ol>'
    else:
        named = '<p class="overdue-none">当前无逾期未反馈的部门。</p>'
    return (
        '<section id="overdue"><h2>逾期未反馈通报</h2>'
        f"{named}"
        '<form id="token-form"><label>督查令牌(oversight / admin):'
        '<input type="password" name="token" autocomplete="off"></label>'
        '<button type="submit">查看逾期明细</button>'
        '<button type="button" data-download="csv">下载明细 CSV</button>'
        '<button type="button" data-download="xlsx">下载明细 XLSX</button></form>'
        '<p id="overdue-status" class="hint">明细(认定编号)仅对督查令牌开放。</p>'
        '<div id="overdue-details"></div></section>'
    )


def _downloads() -> str:
    return (
        '<section id="downloads"><h2>下载</h2><ul>'
        '<li><a href="/v1/public/statistics?format=csv" download>部门排名 CSV</a></li>'
        '<li><a href="/v1/public/statistics?format=xlsx" download>部门排名 XLSX</a></li>'
        '<li><a href="/v1/public/statistics">汇总数据 JSON</a></li>'
        "<li>逾期明细 CSV / XLSX、典型案例:需督查令牌(见上方通报)</li>"
        "</ul></section>"
    )


def render_dashboard(stats: PublicStatistics) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>跟踪问效 · 联合奖惩监督看板</title>"
        f"<style>{STYLE}</style></head><body>"
        "<header><h1>跟踪问效 · 守信联合激励和失信联合惩戒</h1>"
        f'<p>监督看板 · 数据截至 <time datetime="{stats.as_of.isoformat()}">'
        f"{local_time(stats.as_of)}</time>(北京时间)</p></header><main>"
        f"{_totals(stats)}{_ranking(stats)}{_trends(stats)}{_list_types(stats)}"
        f"{_overdue(stats)}{_downloads()}"
        f"</main><script>{SCRIPT}</script></body></html>"
    )
