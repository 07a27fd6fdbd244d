"""Operator commands against running services: import designations, show reports."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jointcredit.connection import NotConnected, connect
from jointcredit.demo.client import ApiError

console = Console()
imports = typer.Typer(help="Bulk imports into the initiator.", no_args_is_help=True)
reports = typer.Typer(help="跟踪问效 reports from feedback.", no_args_is_help=True)

RegistryUrl = typer.Option(None, envvar="REGISTRY_URL", help="the registry's base URL")
ClientId = typer.Option(None, envvar="JOINTCREDIT_CLIENT_ID", help="API client id")
ClientSecret = typer.Option(None, envvar="JOINTCREDIT_CLIENT_SECRET", help="API client secret")


def register(app: typer.Typer) -> None:
    app.add_typer(imports, name="import")
    app.add_typer(reports, name="report")


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]{error}[/red]")
    return typer.Exit(1)


def _count_rows(path: Path) -> int | None:
    """Records in a CSV file (lines after the header); None for XLSX (shown without a total)."""
    if path.suffix.lower() == ".xlsx":
        return None
    with path.open("rb") as handle:
        return max(
            0, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1
        )


@imports.command("designations")
def import_designations(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX"),
    memorandum: str = typer.Option(None, help="memorandum code for rows that name none"),
    list_type: str = typer.Option(None, help="red or black, for rows that name none"),
    initiator_url: str = typer.Option(None, envvar="INITIATOR_URL", help="the initiator's URL"),
    registry_url: str = RegistryUrl,
    client_id: str = ClientId,
    client_secret: str = ClientSecret,
) -> None:
    """Upload designations (认定) in bulk and follow the import with a progress bar."""
    try:
        client, url, name = connect(
            "initiator", initiator_url, registry_url, client_id, client_secret, "court"
        )
        form = {k: v for k, v in (("memorandum_code", memorandum), ("list_type", list_type)) if v}
        with file.open("rb") as handle:
            started: dict[str, Any] = client.call(
                "POST",
                f"{url}/v1/imports",
                as_=name,
                files={"file": (file.name, handle)},
                data=form,
            )
        total = _count_rows(file)
        final = _follow(client, url, name, started["import_id"], total)
    except (NotConnected, ApiError) as error:
        raise _fail(error) from error
    console.print(
        f"import {final['import_id']} {final['state']}: {final['rows_read']} rows read, "
        f"{final['created']} created, {final['duplicates']} already present, "
        f"{final['errors']} errors"
    )
    if final["errors"]:
        errors = client.call(
            "GET",
            f"{url}/v1/imports/{final['import_id']}/errors",
            as_=name,
            params={"limit": 20},
        )
        for item in errors.get("items", [])[:20]:
            console.print(f"  row {item.get('row')}, {item.get('column')}: {item.get('message')}")
    if final["state"] != "completed" or final["errors"]:
        raise typer.Exit(1)


def _follow(client: Any, url: str, name: str, import_id: str, total: int | None) -> dict[str, Any]:
    columns = (
        TextColumn("[bold]importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("created {task.fields[created]} · errors {task.fields[errors]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("import", total=total, created=0, errors=0)
        while True:
            status: dict[str, Any] = client.call("GET", f"{url}/v1/imports/{import_id}", as_=name)
            progress.update(
                task,
                completed=status["rows_read"],
                created=status["created"],
                errors=status["errors"],
            )
            if status["state"] != "running":
                if total is None:
                    progress.update(task, total=status["rows_read"])
                return status
            time.sleep(0.5)


def _feedback(
    feedback_url: str | None, registry_url: str | None, client_id: str | None, secret: str | None
) -> tuple[Any, str, str]:
    try:
        return connect("feedback", feedback_url, registry_url, client_id, secret, "oversight")
    except NotConnected as error:
        raise _fail(error) from error


FeedbackUrl = typer.Option(None, envvar="FEEDBACK_URL", help="the feedback service's URL")


@reports.command("summary")
def report_summary(
    as_of: str = typer.Option(None, help="ISO date-time the figures hold for (default: now)"),
    feedback_url: str = FeedbackUrl,
    registry_url: str = RegistryUrl,
    client_id: str = ClientId,
    client_secret: str = ClientSecret,
) -> None:
    """The 跟踪问效 summary: every department's responses, measures, enforcements, overdue."""
    client, url, name = _feedback(feedback_url, registry_url, client_id, client_secret)
    params = {"as_of": as_of} if as_of else None
    try:
        summary = client.call("GET", f"{url}/v1/reports/summary", as_=name, params=params)
    except ApiError as error:
        raise _fail(error) from error
    table = Table(title=f"跟踪问效 as of {summary['as_of']}")
    for column in (
        "rank",
        "department",
        "owed",
        "acknowledged",
        "applied",
        "lifted",
        "enforcements",
        "overdue",
    ):
        table.add_column(column)
    for row in summary["departments"]:
        table.add_row(
            str(row["rank"]),
            f"{row['department_name']} ({row['department_code']})",
            *(
                str(row[k])
                for k in ("owed", "acknowledged", "applied", "lifted", "enforcements", "overdue")
            ),
        )
    console.print(table)


@reports.command("overdue")
def report_overdue(
    as_of: str = typer.Option(None, help="ISO date-time (default: now)"),
    feedback_url: str = FeedbackUrl,
    registry_url: str = RegistryUrl,
    client_id: str = ClientId,
    client_secret: str = ClientSecret,
) -> None:
    """The overdue list (通报): departments with designations unanswered past the deadline."""
    client, url, name = _feedback(feedback_url, registry_url, client_id, client_secret)
    params = {"as_of": as_of} if as_of else None
    try:
        report = client.call("GET", f"{url}/v1/overdue", as_=name, params=params)
    except ApiError as error:
        raise _fail(error) from error
    console.print(f"as of {report['as_of']}: {report['overdue']} unanswered past the deadline")
    for department in report["departments"]:
        console.print(
            f"  {department['department_name']} ({department['department_code']}): "
            f"{department['overdue']}"
        )


@reports.command("typical-cases")
def report_typical_cases(
    month: str = typer.Argument(..., help="YYYY-MM"),
    feedback_url: str = FeedbackUrl,
    registry_url: str = RegistryUrl,
    client_id: str = ClientId,
    client_secret: str = ClientSecret,
) -> None:
    """The monthly typical-cases report (典型案例), built from recorded enforcements."""
    client, url, name = _feedback(feedback_url, registry_url, client_id, client_secret)
    try:
        report = client.call(
            "GET", f"{url}/v1/reports/typical-cases", as_=name, params={"month": month}
        )
    except ApiError as error:
        raise _fail(error) from error
    console.print_json(data=report)
