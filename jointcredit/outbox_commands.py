"""Operator commands on a service's outbox: what waits to be published, and re-publishing.

After a broker lost its log, events published before the loss are gone from the broker. A relay
that published to a topic since it started notices that and sends its kept rows again by itself
(shared/delivery/broker_loss.py); `requeue` is the fallback for the rest (a relay restarted after
the loss): it marks the rows a service sent since a given time as unsent, so its relay publishes
them again in their original order; consumers skip what they already applied (the inbox), so
re-publishing more than needed is harmless. Rows are kept for `OUTBOX_RETENTION_HOURS` after
they were sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.audit.appending import append
from shared.audit.entries import Act, operator
from shared.delivery.outbox import requeue_sent
from shared.persistence.database import make_engine, make_sessionmaker
from shared.settings import ServiceSettings

outbox = typer.Typer(
    help="A service's outbox: what waits to be published; re-publishing after a broker loss.",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")

DATABASE_OPTION = typer.Option(
    None,
    "--database-name",
    envvar="DATABASE_NAME",
    help="the service database (registry, initiator, feedback, responder_<dept>; a namespace "
    "prefixes it, e.g. demo_initiator)",
)


def register(app: typer.Typer) -> None:
    app.add_typer(outbox, name="outbox")


@dataclass(frozen=True)
class TopicBacklog:
    topic: str
    unsent: int
    sent_kept: int
    oldest_unsent: datetime | None
    last_sent: datetime | None


_BACKLOG = text(
    """
    SELECT topic,
           count(*) FILTER (WHERE sent_at IS NULL) AS unsent,
           count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent_kept,
           min(created_at) FILTER (WHERE sent_at IS NULL) AS oldest_unsent,
           max(sent_at) AS last_sent
    FROM outbox GROUP BY topic ORDER BY topic
    """
)


async def backlog(settings: ServiceSettings) -> list[TopicBacklog]:
    """Per topic: rows waiting, sent rows still kept, the oldest waiting row, the last send."""
    engine = make_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(_BACKLOG)).all()
    finally:
        await engine.dispose()
    return [TopicBacklog(*row) for row in rows]


async def requeue(settings: ServiceSettings, since: datetime, topic: str | None) -> int:
    """Mark rows sent since `since` (on `topic`, or every topic) for publishing again."""
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            count = await requeue_sent(session, since, topic)
            change = {"since": since, "topic": topic, "rows": count}
            await append(session, [Act(operator(), "outbox.requeued", topic or "*", change)])
            await session.commit()
    finally:
        await engine.dispose()
    return count


def _run(work: Coroutine[Any, Any, T], database_name: str) -> T:
    """Run `work`; a database that is missing, unreachable or not a service's is said in one
    line, not a stack trace."""
    try:
        return asyncio.run(work)
    except (DBAPIError, OSError) as error:
        reason = getattr(error, "orig", None) or error
        console.print(f"[red]cannot use the outbox of database {database_name!r}:[/red] {reason}")
        raise typer.Exit(1) from None


def _settings(database_name: str | None) -> ServiceSettings:
    if not database_name:
        raise typer.BadParameter("name the service database (--database-name or DATABASE_NAME)")
    return ServiceSettings.load(database_name=database_name)


def _when(moment: datetime | None) -> str:
    return moment.astimezone().isoformat(timespec="seconds") if moment else "—"


@outbox.command("status")
def status(database_name: str = DATABASE_OPTION) -> None:
    """Per topic: rows waiting to be published, sent rows kept for re-publishing, the oldest
    waiting row and the last send."""
    settings = _settings(database_name)
    topics = _run(backlog(settings), str(settings.database_name))
    table = Table("waiting", "sent, kept", "oldest waiting", "last sent")
    table.add_column("topic", no_wrap=True)
    for entry in topics:
        table.add_row(
            str(entry.unsent),
            str(entry.sent_kept),
            _when(entry.oldest_unsent),
            _when(entry.last_sent),
            entry.topic,
        )
    console.print(table if topics else "the outbox is empty")


@outbox.command("requeue")
def requeue_command(
    since_hours: float = typer.Option(
        ..., "--since-hours", min=0.0, help="re-publish what was sent in the last N hours"
    ),
    topic: str = typer.Option(
        None, "--topic", help="only this topic, as `outbox status` names it (default: all)"
    ),
    database_name: str = DATABASE_OPTION,
) -> None:
    """Publish again what this service sent in the last N hours, in its original order (after
    the broker lost its log). Consumers skip what they already applied."""
    since = datetime.now(UTC) - timedelta(hours=since_hours)
    settings = _settings(database_name)
    count = _run(requeue(settings, since, topic), str(settings.database_name))
    console.print(
        f"{count} events marked for publishing again; the service's relay sends them "
        "(`jointcredit outbox status` shows the backlog)"
    )
