"""Two feedback instances on one database, one consumer group, the real broker.

Designations and receipt bundles of many designations flow at once; the instances must never
deadlock (PostgreSQL's own count, `pg_stat_database.deadlocks`, is the oracle), no batch may
fail, and the figures must be those one instance computes over the same events (the
statistics oracle of tests/support/feedback.py). Receipts keyed by the designation's subject
(co-partitioned with the designation events, as responders send them now) and by the
designation id (as responders sent them before: each designation's events then reach both
instances) both hold — the second only because every batch takes its locks in one order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from sqlalchemy import text

from services.feedback.bootstrap import Feedback
from services.feedback.entrypoints.app import create
from services.feedback.settings import FeedbackSettings
from shared.auth.principal import Role
from shared.delivery.metrics import MESSAGES
from shared.events.envelope import Envelope
from shared.kafka import make_producer
from shared.persistence.database import make_engine
from shared.persistence.migrations import upgrade_to_head
from shared.settings import ServiceSettings
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import seed_document
from tests.support.feedback import (
    MIGRATIONS,
    SHANGHAI,
    Scenario,
    bundled,
    catalogue_events,
    department_change,
    expected_figures,
    feedback_settings,
    generate,
    migrated_database,
)
from tests.support.kafka import wait_for

pytestmark = pytest.mark.integration

AS_OF = datetime(2025, 12, 20, 12, 0, tzinfo=SHANGHAI)
PARTITIONS = 4
FIGURES = (
    "owed",
    "acknowledged",
    "answered_late",
    "overdue",
    "waiting",
    "response_rate",
    "median_response_seconds",
    "p90_response_seconds",
    "applied",
    "not_applicable",
    "lifted",
    "enforcements",
)
KEY_FIELDS = {
    "department": "department_code",
    "memorandum": "memorandum_code",
    "measure": "measure_code",
    "month": "month",
}


class _BatchFailures(logging.Handler):
    """The consumer loop's "batch failed" records: a deadlock or lock conflict shows here."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("batch failed"):
            self.errors.append(str(getattr(record, "error", "")))


@dataclass
class Replica:
    app: FastAPI
    consumers: list[AIOKafkaConsumer]

    @property
    def feedback(self) -> Feedback:
        feedback: Feedback = self.app.state.feedback
        return feedback

    def assigned(self, topic: str) -> set[int]:
        if not self.consumers:
            return set()
        return {tp.partition for tp in self.consumers[-1].assignment() if tp.topic == topic}


def _recording_consumers(replica: Replica) -> None:
    """Keep the Kafka consumers the replica's loop creates, to read their assignment."""
    loop = replica.feedback.consumer
    make = loop.consumer_factory

    def factory(settings: ServiceSettings, group: str, topics: Sequence[str]) -> AIOKafkaConsumer:
        consumer = make(settings, group, topics)
        replica.consumers.append(consumer)
        return consumer

    loop.consumer_factory = factory


@asynccontextmanager
async def two_replicas(settings: FeedbackSettings) -> AsyncIterator[list[Replica]]:
    """Two feedback apps (consumer and relay each) on one migrated database."""
    await upgrade_to_head(MIGRATIONS, settings)
    replicas = [Replica(create(settings), []), Replica(create(settings), [])]
    async with AsyncExitStack() as stack:
        for replica in replicas:
            _recording_consumers(replica)
            await stack.enter_async_context(replica.app.router.lifespan_context(replica.app))
        yield replicas


async def _database_scalar(settings: FeedbackSettings, sql: str, **params: Any) -> Any:
    engine = make_engine(settings)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(sql), params)
    finally:
        await engine.dispose()


async def _deadlocks(settings: FeedbackSettings) -> int:
    """PostgreSQL's count for the database, once every backend that used it has exited (a
    backend reports its counts when it ends at the latest)."""

    async def others_gone() -> bool:
        others = await _database_scalar(
            settings,
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = :name AND pid <> pg_backend_pid()",
            name=settings.database_name,
        )
        return int(others) == 0

    await wait_for(others_gone, 30)
    return int(
        await _database_scalar(
            settings,
            "SELECT deadlocks FROM pg_stat_database WHERE datname = :name",
            name=settings.database_name,
        )
    )


async def _publish(
    settings: FeedbackSettings, topic: Topic, keyed: Sequence[tuple[str, Envelope]]
) -> None:
    producer = make_producer(settings)
    await producer.start()
    try:
        sent = [
            await producer.send(
                settings.topic(topic),
                envelope.to_bytes(),
                key=key.encode(),
                headers=envelope.kafka_headers(),
            )
            for key, envelope in keyed
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def _receipt_events(scenario: Scenario, key_by: str) -> list[tuple[str, Envelope]]:
    """Every receipt as responders send it (bundled), some again under a new event id."""
    subjects = {
        d.id: str(d.state["subject"]["id"]) for d in [*scenario.designations, *scenario.lost]
    }
    envelopes = bundled(scenario.receipts) + scenario.resent

    def key(envelope: Envelope) -> str:
        designation_id = str(envelope.data["designation_id"])
        return subjects[designation_id] if key_by == "subject" else designation_id

    return [(key(envelope), envelope) for envelope in envelopes]


async def _figures(
    client: httpx.AsyncClient, authority: TestAuthority, group_by: list[str]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    response = await client.get(
        "/v1/statistics/departments",
        params={"as_of": AS_OF.isoformat(), "group_by": group_by},
        headers=authority.headers("oversight", Role.oversight),
    )
    assert response.status_code == 200, response.text
    return {
        tuple(row[KEY_FIELDS[d]] for d in group_by): {name: row[name] for name in FIGURES}
        for row in response.json()["rows"]
    }


async def _catalogue_version(replica: Replica) -> int | None:
    feedback = replica.feedback
    async with feedback.runtime.sessions() as session:
        catalogue = await feedback.handlers.catalogues.current(session)
    return None if catalogue is None else catalogue.version


async def _every_replica_learns_a_new_catalogue(
    settings: FeedbackSettings, replicas: list[Replica]
) -> None:
    """One replica consumes the catalogue's partition; the other reads the version from the
    database when it next uses the catalogue."""
    assert [await _catalogue_version(r) for r in replicas] == [1, 1]
    [_, version_2] = catalogue_events(
        [department_change(seed_document(), "court", region="衡水市")]
    )
    await _publish(settings, Topic.CATALOGUE, [("catalogue", version_2)])

    async def both_learned() -> bool:
        return [await _catalogue_version(r) for r in replicas] == [2, 2]

    await wait_for(both_learned, 60)


@pytest.mark.parametrize("key_by", ["subject", "designation"])
async def test_two_instances_never_deadlock_and_count_what_one_counts(
    database_url: str, bootstrap: str, authority: TestAuthority, key_by: str
) -> None:
    scenario = generate(seed_document(), seed=11, count=90, as_of=AS_OF, lost=2)
    designation_events = [(str(e.data["subject"]["id"]), e) for e in scenario.designation_events()]
    receipt_events = _receipt_events(scenario, key_by)
    failures = _BatchFailures()
    consumer_log = logging.getLogger("shared.delivery.consumer")
    consumer_log.addHandler(failures)
    async with migrated_database(database_url) as name:
        settings = feedback_settings(
            database_url, bootstrap, authority, name, topic_partitions=PARTITIONS
        )
        group = settings.consumer_group
        failed_before = MESSAGES.labels(group, "failed")._value.get()
        dead_before = MESSAGES.labels(group, "dead_lettered")._value.get()
        try:
            async with two_replicas(settings) as replicas:
                deadlocks_before = int(
                    await _database_scalar(
                        settings,
                        "SELECT deadlocks FROM pg_stat_database WHERE datname = :name",
                        name=name,
                    )
                )
                designations_topic = settings.topic(Topic.DESIGNATIONS)
                receipts_topic = settings.topic(Topic.RECEIPTS)

                def both_assigned() -> bool:
                    owned = [r.assigned(designations_topic) for r in replicas]
                    return all(owned) and sorted(p for o in owned for p in o) == list(
                        range(PARTITIONS)
                    )

                await wait_for(both_assigned, 60)
                for replica in replicas:  # the range assignor: the same numbers of both topics
                    assert replica.assigned(designations_topic) == replica.assigned(receipts_topic)

                await _publish(
                    settings, Topic.CATALOGUE, [("catalogue", e) for e in catalogue_events()]
                )

                async def catalogue_held() -> bool:
                    return bool(
                        await _database_scalar(settings, "SELECT count(*) FROM catalogue_state")
                    )

                await wait_for(catalogue_held, 60)
                await asyncio.gather(
                    _publish(settings, Topic.DESIGNATIONS, designation_events),
                    _publish(settings, Topic.RECEIPTS, receipt_events),
                )
                distinct = 1 + len(designation_events) + len(receipt_events)

                async def all_consumed() -> bool:
                    consumed = await _database_scalar(
                        settings, "SELECT count(*) FROM inbox WHERE consumer = :group", group=group
                    )
                    return int(consumed) >= distinct

                await wait_for(all_consumed, 180)
                transport = httpx.ASGITransport(app=replicas[1].app)
                async with httpx.AsyncClient(transport=transport, base_url="http://fb") as client:
                    for group_by in (["department"], ["memorandum", "month"], ["measure"]):
                        got = await _figures(client, authority, group_by)
                        expected = {
                            key: {name: figures[name] for name in FIGURES}
                            for key, figures in expected_figures(scenario, group_by).items()
                        }
                        assert got == expected, group_by
                await _every_replica_learns_a_new_catalogue(settings, replicas)
        finally:
            consumer_log.removeHandler(failures)
        assert await _deadlocks(settings) == deadlocks_before
    assert failures.errors == []
    assert MESSAGES.labels(group, "failed")._value.get() == failed_before
    assert MESSAGES.labels(group, "dead_lettered")._value.get() == dead_before
