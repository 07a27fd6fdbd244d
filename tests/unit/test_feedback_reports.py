"""Report rules: months, the typical-cases due date, rates and the ranking, the page and charts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from services.feedback.domain.periods import month_bounds, month_of, parse_month, typical_cases_due
from services.feedback.domain.reports import (
    DepartmentRow,
    Figures,
    MonthlyTrend,
    PublicStatistics,
    figures_from,
    ranked,
)
from services.feedback.entrypoints.charts import Series, bar_chart, line_chart
from services.feedback.entrypoints.dashboard import duration, render_dashboard

pytestmark = pytest.mark.unit


def test_months_are_counted_in_shanghai() -> None:
    assert month_of(datetime(2025, 9, 30, 16, 30, tzinfo=UTC)) == "2025-10"
    assert month_of(datetime(2025, 9, 30, 15, 59, tzinfo=UTC)) == "2025-09"
    start, end = month_bounds("2025-12")
    assert start.isoformat() == "2025-12-01T00:00:00+08:00"
    assert end.isoformat() == "2026-01-01T00:00:00+08:00"
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("2025-13")


def test_typical_cases_are_due_on_the_8th_of_the_next_month() -> None:
    assert typical_cases_due("2025-11") == date(2025, 12, 8)
    assert typical_cases_due("2025-12") == date(2026, 1, 8)


def test_figures_derive_rate_and_waiting() -> None:
    figures = figures_from({"owed": 8, "acknowledged": 6, "overdue": 1, "applied": 3})
    assert figures["response_rate"] == 0.75
    assert figures["waiting"] == 1
    assert figures_from({})["response_rate"] is None


def test_ranking_puts_best_response_rate_first_then_fewest_overdue() -> None:
    def row(code: str, rate: float | None, overdue: int) -> dict[str, object]:
        return {
            "department_code": code,
            "response_rate": rate,
            "overdue": overdue,
            "median_response_seconds": None,
        }

    order = ranked([row("a", 0.5, 1), row("b", 0.9, 3), row("c", None, 0), row("d", 0.9, 1)])
    assert [(r["department_code"], r["rank"]) for r in order] == [
        ("d", 1),
        ("b", 2),
        ("a", 3),
        ("c", 4),
    ]


def test_durations_read_in_chinese() -> None:
    assert duration(None) == "—"
    assert duration(42) == "42秒"
    assert duration(3 * 3600 + 120) == "3小时2分"
    assert duration(2 * 86400 + 3600) == "2天1小时"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_charts_carry_every_value() -> None:
    svg = bar_chart("t", ["2025-10", "2025-11"], [Series("应响应", "#000", [3, 7])])
    line = line_chart("t", ["2025-10", "2025-11"], [Series("案例", "#000", [0, 12])])
    for chart, tag in ((svg, "rect"), (line, "circle")):
        parser = _Collector()
        parser.feed(chart)
        values = [a["data-value"] for t, a in parser.tags if t == tag and "data-value" in a]
        assert len(values) == 2
    assert 'data-value="7"' in svg
    assert 'data-value="12"' in line


def test_dashboard_escapes_names_and_shows_no_identities() -> None:
    row = DepartmentRow(
        rank=1,
        department_code="court",
        department_name="<script>法院</script>",
        owed=4,
        acknowledged=3,
        overdue=1,
        response_rate=0.75,
    )
    page = render_dashboard(
        PublicStatistics(
            as_of=datetime(2025, 12, 20, 4, tzinfo=UTC),
            designations=2,
            totals=Figures(owed=4, acknowledged=3, overdue=1),
            departments=[row],
            list_types=[],
            months=[MonthlyTrend(month="2025-12", owed=4, acknowledged=3, designations=2)],
        )
    )
    assert "<script>法院" not in page
    assert "&lt;script&gt;法院&lt;/script&gt;" in page
    assert "2025-12-20 12:00" in page
    assert "跟踪问效" in page
    assert "75.0%" in page
