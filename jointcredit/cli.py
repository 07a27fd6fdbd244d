"""The operator's command line: `jointcredit --help`."""

from __future__ import annotations

import typer
from rich.console import Console

from jointcredit.infra import manager
from jointcredit.infra.postgres import InfraUnavailable

app = typer.Typer(
    help="Joint incentives and punishments platform (联合奖惩): operator commands.",
    no_args_is_help=True,
)
infra = typer.Typer(
    help="The PostgreSQL server and Kafka broker the platform runs on.", no_args_is_help=True
)
app.add_typer(infra, name="infra")
console = Console()


def _print_status(status: manager.InfraStatus) -> None:
    def mark(ok: bool) -> str:
        return "[green]healthy[/green]" if ok else "[red]not answering[/red]"

    db_kind = "embedded" if status.database_embedded else "configured"
    broker_kind = "embedded" if status.broker_embedded else "configured"
    console.print(f"PostgreSQL ({db_kind}): {status.database_url} {mark(status.database_ok)}")
    console.print(
        f"Kafka broker ({broker_kind}): {status.kafka_bootstrap_servers} {mark(status.broker_ok)}"
    )


@infra.command("up")
def infra_up() -> None:
    """Start PostgreSQL and the broker unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set."""
    try:
        status = manager.up()
    except InfraUnavailable as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    _print_status(status)


@infra.command("status")
def infra_status() -> None:
    """Say whether the database and the broker answer."""
    status = manager.status()
    _print_status(status)
    if not status.healthy:
        raise typer.Exit(1)


@infra.command("down")
def infra_down() -> None:
    """Stop the embedded servers (configured ones are left alone)."""
    manager.down()
    console.print("embedded infrastructure stopped")


@app.command("relay")
def relay(
    database_name: str = typer.Option(
        None, envvar="DATABASE_NAME", help="the service database whose outbox to publish"
    ),
) -> None:
    """Run the outbox relay alone (services also run it in-process unless RUN_RELAY=false)."""
    from jointcredit.processes import run_until_signalled
    from shared.delivery.relay import OutboxRelay
    from shared.logs import configure_logging
    from shared.settings import ServiceSettings

    settings = ServiceSettings.load()
    if database_name:
        settings = settings.model_copy(update={"database_name": database_name})
    configure_logging(f"relay:{settings.database_name}", settings.log_level)
    run_until_signalled(OutboxRelay(settings).run)


if __name__ == "__main__":
    app()
