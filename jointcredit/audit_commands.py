"""Operator commands on a service's audit trail: verifying its hash chain."""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy.exc import DBAPIError

from jointcredit.layout import Layout
from jointcredit.outbox_commands import DATABASE_OPTION
from jointcredit.service_index import SERVICES
from shared.audit.verification import ChainReport, verify_chain
from shared.persistence.database import make_engine
from shared.settings import ServiceSettings

audit = typer.Typer(help="A service's audit trail: verifying its hash chain.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit, name="audit")


async def verify_database(settings: ServiceSettings) -> ChainReport:
    """Walk the chain of the database `settings` name."""
    engine = make_engine(settings)
    try:
        async with engine.connect() as connection:
            return await verify_chain(connection)
    finally:
        await engine.dispose()


@audit.command("verify")
def verify(
    database_name: str = DATABASE_OPTION,
    service: str = typer.Option(
        None, help="instead of --database-name: registry, initiator, feedback or responder"
    ),
    department: str = typer.Option(None, help="the responder's department, with --service"),
    namespace: str = typer.Option("", help="the platform's namespace, with --service (demo)"),
) -> None:
    """Re-hash every entry in order; exit 1 naming the first entry that breaks the chain."""
    if service:
        if service not in SERVICES or (service == "responder") != bool(department):
            raise typer.BadParameter(
                f"one of {', '.join(SERVICES)}; a responder with --department",
                param_hint="--service",
            )
        database_name = Layout(namespace, ()).database(service, department)
    if not database_name:
        raise typer.BadParameter("name the service database (--database-name or DATABASE_NAME)")
    settings = ServiceSettings.load(database_name=database_name)
    try:
        report = asyncio.run(verify_database(settings))
    except (DBAPIError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        typer.echo(f"cannot read the audit trail of database {database_name!r}: {reason}", err=True)
        raise typer.Exit(2) from None
    if report.broken is not None:
        typer.echo(
            f"audit chain of {database_name} broken at entry {report.broken.sequence}: "
            f"{report.broken.reason} ({report.entries} entries before it verify)",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"audit chain of {database_name}: {report.entries} entries verify")
