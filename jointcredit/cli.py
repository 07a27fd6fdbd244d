"""The operator's command line: `jointcredit --help`."""

from __future__ import annotations

import typer
from rich.console import Console

from jointcredit import audit_commands, operator_commands, outbox_commands, registry_commands
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
registry_commands.register(app)
operator_commands.register(app)
outbox_commands.register(app)
audit_commands.register(app)
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
def infra_up() -> manager.InfraStatus:
    """Start PostgreSQL and the broker unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set."""
    try:
        status = manager.up()
    except InfraUnavailable as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    _print_status(status)
    return status


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
    run_until_signalled(OutboxRelay(settings).run, settings.stop_timeout_s)


@app.command("migrate")
def migrate(
    service: str = typer.Argument("all", help="registry, initiator, responder, feedback or all"),
    department: list[str] = typer.Option(
        [], help="responder departments to migrate (default: the demo's three)"
    ),
    seed: bool = typer.Option(
        False, "--seed", help="then load the seed catalogue into the registry unless it has one"
    ),
) -> None:
    """Create each service's database when missing and apply its migrations."""
    import asyncio

    from jointcredit.service_index import DEMO_RESPONDERS, SERVICES
    from shared.persistence.migrations import upgrade_to_head

    names = list(SERVICES) if service == "all" else [service]
    for name in names:
        if name not in SERVICES:
            console.print(f"[red]unknown service {name!r}: one of {', '.join(SERVICES)}[/red]")
            raise typer.Exit(2)
        entry = SERVICES[name]
        targets = (
            [{"department_code": d} for d in (department or DEMO_RESPONDERS)]
            if (name == "responder")
            else [{}]
        )
        for overrides in targets:
            settings = entry.load_settings(**overrides)
            asyncio.run(upgrade_to_head(entry.migrations_dir, settings))
            console.print(f"migrated {settings.service_name} ({settings.database_name})")
    if seed:
        registry_commands.seed(registry_commands.SEED_FILE)


@app.command("serve")
def serve(
    service: str = typer.Argument(
        help="registry, initiator, responder or feedback; devidp: the development identity "
        "provider (refused when ENVIRONMENT=production)"
    ),
    host: str = typer.Option("127.0.0.1", envvar="HOST"),
    port: int = typer.Option(8000, envvar="PORT"),
) -> None:
    """Run one service (HTTP API, relay and consumers) in the foreground; SIGTERM or SIGINT
    stops it gracefully within STOP_TIMEOUT_S and exits 0."""
    from jointcredit.processes import serve_until_signalled
    from jointcredit.service_index import SERVICES
    from shared.logs import configure_logging

    if service == "devidp":
        from jointcredit.devidp.app import serve as serve_devidp

        serve_devidp(host, port)
        return
    if service not in SERVICES:
        console.print(f"[red]unknown service {service!r}: one of {', '.join(SERVICES)}[/red]")
        raise typer.Exit(2)
    settings = SERVICES[service].load_settings()
    configure_logging(settings.service_name, settings.log_level)
    serve_until_signalled(SERVICES[service].app_factory, settings, host, port)


@app.command("openapi")
def openapi() -> None:
    """Write every service's OpenAPI document into docs/openapi/ (a test keeps them current)."""
    from jointcredit.openapi_documents import write_all

    for path in write_all():
        console.print(f"wrote {path}")


@app.command("up")
def up(
    once: bool = typer.Option(
        False, help="run the scenario, print the report, stop; exit 1 if an expectation failed"
    ),
    namespace: str = typer.Option(
        "demo", help="database and topic namespace of this platform instance (recreated)"
    ),
) -> None:
    """Run the platform and the demo scenario; Ctrl-C or SIGTERM stops everything.

    Starts the infrastructure (unless configured), creates and migrates the namespace's
    databases, loads the seed catalogue, starts the registry, the initiator, feedback and three
    responders (court, market, finance), runs the scenario and prints the 跟踪问效 report.
    """
    import time

    from jointcredit.layout import Layout
    from jointcredit.service_index import DEMO_RESPONDERS
    from jointcredit.up import run

    started = infra_up()
    layout = Layout(namespace, DEMO_RESPONDERS, run_id=f"{int(time.time()):x}")
    wide = console if console.is_terminal else Console(width=150)
    raise typer.Exit(run(layout, once=once, console=wide, infra=started))


if __name__ == "__main__":
    app()
