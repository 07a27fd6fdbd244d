"""`jointcredit infra up|down|status`: use configured infrastructure, or start the embedded one."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

import asyncpg

from jointcredit.infra.broker import EmbeddedBroker
from jointcredit.infra.postgres import EmbeddedPostgres, InfraUnavailable
from jointcredit.infra.state import env_file, read_env_file, state_dir, write_env_file
from shared.kafka import broker_answers, ensure_topics
from shared.settings import libpq_url

DEFAULT_PARTITIONS = 6


@dataclass(frozen=True)
class InfraStatus:
    database_url: str | None
    kafka_bootstrap_servers: str | None
    database_embedded: bool
    broker_embedded: bool
    database_ok: bool
    broker_ok: bool
    database_started: bool = False
    """Started by this `up()` (it was not running): whoever called it may stop it again."""
    broker_started: bool = False

    @property
    def healthy(self) -> bool:
        return self.database_ok and self.broker_ok


async def database_answers(url: str) -> bool:
    try:
        connection = await asyncio.wait_for(asyncpg.connect(libpq_url(url)), 5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


def up() -> InfraStatus:
    """Start what is not configured, wait until both answer, and record the settings."""
    state = state_dir()
    database_url = os.environ.get("DATABASE_URL")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database_embedded = not database_url
    broker_embedded = not bootstrap
    postgres, broker = EmbeddedPostgres(state), EmbeddedBroker(state)
    database_started = database_embedded and postgres.running_port() is None
    broker_started = broker_embedded and broker.running_port() is None
    if not database_url:
        database_url = postgres.start()
    if not bootstrap:
        bootstrap = broker.start()
    partitions = int(os.environ.get("TOPIC_PARTITIONS", DEFAULT_PARTITIONS))
    database_ok, broker_ok = asyncio.run(_check_and_prepare(database_url, bootstrap, partitions))
    if not database_ok:
        raise InfraUnavailable(f"PostgreSQL at {database_url} does not answer")
    if not broker_ok:
        raise InfraUnavailable(f"the Kafka broker at {bootstrap} does not answer")
    write_env_file(
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "JOINTCREDIT_EMBEDDED_DATABASE": str(database_embedded).lower(),
            "JOINTCREDIT_EMBEDDED_BROKER": str(broker_embedded).lower(),
        }
    )
    return InfraStatus(
        database_url,
        bootstrap,
        database_embedded,
        broker_embedded,
        True,
        True,
        database_started,
        broker_started,
    )


async def _check_and_prepare(
    database_url: str, bootstrap: str, partitions: int
) -> tuple[bool, bool]:
    database_ok = await database_answers(database_url)
    broker_ok = False
    for _ in range(30):
        if await broker_answers(bootstrap):
            await ensure_topics(bootstrap, partitions)
            broker_ok = True
            break
        await asyncio.sleep(0.5)
    return database_ok, broker_ok


def status() -> InfraStatus:
    recorded = read_env_file()
    database_url = os.environ.get("DATABASE_URL") or recorded.get("DATABASE_URL")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or recorded.get("KAFKA_BOOTSTRAP_SERVERS")

    async def check() -> tuple[bool, bool]:
        database_ok = bool(database_url) and await database_answers(database_url or "")
        broker_ok = bool(bootstrap) and await broker_answers(bootstrap or "")
        return database_ok, broker_ok

    database_ok, broker_ok = asyncio.run(check())
    return InfraStatus(
        database_url,
        bootstrap,
        recorded.get("JOINTCREDIT_EMBEDDED_DATABASE") == "true",
        recorded.get("JOINTCREDIT_EMBEDDED_BROKER") == "true",
        database_ok,
        broker_ok,
    )


def stop_started(started: InfraStatus) -> list[str]:
    """Stop the embedded servers that `started` says its `up()` started; names what it stopped.
    Servers that were running before (other users of this state directory) are left alone."""
    state = state_dir()
    stopped = []
    if started.broker_started:
        EmbeddedBroker(state).stop()
        stopped.append("broker")
    if started.database_started:
        EmbeddedPostgres(state).stop()
        stopped.append("PostgreSQL")
    if started.broker_started and started.database_started:
        env_file().unlink(missing_ok=True)
    return stopped


def down() -> None:
    """Stop the embedded servers this state directory started; configured ones are left alone."""
    state = state_dir()
    EmbeddedBroker(state).stop()
    EmbeddedPostgres(state).stop()
    env_file().unlink(missing_ok=True)
