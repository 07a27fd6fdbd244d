"""Printing the 跟踪问效 summary and the scenario's expectations."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from jointcredit.demo.scenario import ScenarioOutcome


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def print_report(outcome: ScenarioOutcome, console: Console) -> None:
    console.rule("跟踪问效 summary (tracking the response of every department)")
    summary: dict[str, Any] = outcome.summary
    if summary:
        totals = summary["totals"]
        console.print(
            f"as of {summary['as_of']}: {totals['owed']} responses owed, "
            f"{totals['acknowledged']} acknowledged ({_rate(totals.get('response_rate'))}), "
            f"{totals['applied']} measures applied, {totals['lifted']} lifted, "
            f"{totals['enforcements']} enforcements, {totals['overdue']} overdue"
        )
        table = Table(show_lines=False)
        for column in (
            "rank",
            "department",
            "owed",
            "acknowledged",
            "rate",
            "median",
            "p90",
            "applied",
            "not applicable",
            "lifted",
            "enforcements",
            "overdue",
        ):
            table.add_column(column, justify="left" if column == "department" else "right")
        for row in summary["departments"]:
            table.add_row(
                str(row["rank"]),
                f"{row['department_name']} ({row['department_code']})",
                str(row["owed"]),
                str(row["acknowledged"]),
                _rate(row.get("response_rate")),
                _seconds(row.get("median_response_seconds")),
                _seconds(row.get("p90_response_seconds")),
                str(row["applied"]),
                str(row["not_applicable"]),
                str(row["lifted"]),
                str(row["enforcements"]),
                str(row["overdue"]),
            )
        console.print(table)
    if outcome.overdue:
        console.print(
            f"\n[bold]通报: overdue as of {outcome.overdue_as_of}[/bold] (after every deadline)"
        )
        for department in outcome.overdue.get("departments", []):
            console.print(
                f"  {department['department_name']} ({department['department_code']}): "
                f"{department['overdue']} designations unanswered"
            )
    console.rule("expectations")
    for expectation in outcome.expectations:
        mark = "[green]✓[/green]" if expectation.held else "[red]✗[/red]"
        line = f"{mark} {expectation.what}"
        if not expectation.held:
            line += f": expected {expectation.expected!r}, got {expectation.actual!r}"
        console.print(line)
    held = sum(e.held for e in outcome.expectations)
    colour = "green" if outcome.passed else "red"
    console.print(f"[{colour}]{held} of {len(outcome.expectations)} expectations held[/{colour}]")
