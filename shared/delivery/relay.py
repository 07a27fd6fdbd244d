"""The one generic outbox relay: publishes unsent rows in position order and marks them sent.

- Only one relay per database publishes at a time (a PostgreSQL advisory lock), so rows of one key
  leave in the order they were written.
- It selects by `sent_at IS NULL`, never by a high-water mark, so a row that a concurrent
  transaction commits late is still found.
- A commit's NOTIFY wakes it at once; polling is only the fallback.
- A crash between publishing and marking re-publishes the batch: consumers' inboxes absorb that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge

from shared import failpoints
from shared.delivery.tables import OUTBOX_CHANNEL
from shared.kafka import TopicCreator, make_producer
from shared.settings import ServiceSettings
from shared.stopping import sleep_unless_stopped, wait_for_either

log = logging.getLogger(__name__)

RELAY_LOCK_ID = 0x6A63_6F62  # advisory lock key shared by every relay of one database

PUBLISHED = MetricCounter(
    "jointcredit_outbox_published_total", "outbox rows published", ["service", "topic"]
)
PUBLISH_FAILURES = MetricCounter(
    "jointcredit_outbox_publish_failures_total", "failed publish attempts", ["service"]
)
UNSENT = Gauge("jointcredit_outbox_unsent", "outbox rows not yet published", ["service"])
LAG = Gauge("jointcredit_outbox_oldest_unsent_seconds", "age of the oldest unsent row", ["service"])

_SELECT = """
SELECT position, topic, key, value, headers FROM outbox
WHERE sent_at IS NULL ORDER BY position LIMIT $1
"""
_MARK = "UPDATE outbox SET sent_at = now() WHERE position = ANY($1::bigint[])"
_PURGE = "DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)"
_BACKLOG = """
SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
FROM outbox WHERE sent_at IS NULL
"""


@dataclass
class OutboxRelay:
    settings: ServiceSettings
    producer_factory: Callable[[ServiceSettings], AIOKafkaProducer] = make_producer
    purge_every_s: float = 60.0
    is_leader: bool = field(default=False, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set, reconnecting to PostgreSQL and the broker on failure."""
        backoff = 0.1
        while not stop.is_set():
            try:
                await self._run_connected(stop)
                backoff = 0.1
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, KafkaError) as error:
                self.is_leader = False
                PUBLISH_FAILURES.labels(self.settings.service_name).inc()
                log.warning("outbox relay reconnecting", extra={"error": repr(error)})
                await sleep_unless_stopped(stop, backoff)
                backoff = min(backoff * 2, 5.0)

    async def _run_connected(self, stop: asyncio.Event) -> None:
        url = self.settings.plain_database_url
        control = await asyncpg.connect(url)
        work = await asyncpg.connect(url)
        producer = self.producer_factory(self.settings)
        topics = TopicCreator(self.settings.kafka_bootstrap_servers, self.settings.topic_partitions)
        try:
            await self._become_leader(control, stop)
            if stop.is_set():
                return
            await control.add_listener(OUTBOX_CHANNEL, self.wake)
            await producer.start()
            await topics.start()
            await self._publish_loop(control, work, producer, topics, stop)
        finally:
            self.is_leader = False
            await producer.stop()
            await topics.close()
            await _close(work)
            await _close(control)

    async def _become_leader(self, control: asyncpg.Connection, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if await control.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_ID):
                self.is_leader = True
                return
            await sleep_unless_stopped(stop, 1.0)

    async def _publish_loop(
        self,
        control: asyncpg.Connection,
        work: asyncpg.Connection,
        producer: AIOKafkaProducer,
        topics: TopicCreator,
        stop: asyncio.Event,
    ) -> None:
        next_purge = time.monotonic()
        while not stop.is_set():
            if control.is_closed():
                raise asyncpg.InterfaceError("lost the connection holding the relay lock")
            self._wake.clear()
            published = await self.publish_batch(work, producer, topics)
            if time.monotonic() >= next_purge:
                await self._purge_and_measure(work)
                next_purge = time.monotonic() + self.purge_every_s
            if published < self.settings.outbox_batch_size:
                await wait_for_either(self._wake, stop, self.settings.outbox_poll_interval_s)

    async def publish_batch(
        self, work: asyncpg.Connection, producer: AIOKafkaProducer, topics: TopicCreator
    ) -> int:
        rows = await work.fetch(_SELECT, self.settings.outbox_batch_size)
        if not rows:
            return 0
        # Create missing topics first: a broker that lost its log (or auto-creates topics with
        # its own default partition count on the producer's first lookup) must not decide it.
        await topics.ensure({row["topic"] for row in rows})
        await self._send(producer, rows)
        failpoints.reach("relay.after_publish")
        await work.execute(_MARK, [row["position"] for row in rows])
        for topic, count in Counter(row["topic"] for row in rows).items():
            PUBLISHED.labels(self.settings.service_name, topic).inc(count)
        return len(rows)

    async def _send(self, producer: AIOKafkaProducer, rows: list[asyncpg.Record]) -> None:
        pending = []
        for row in rows:
            headers = [(name, value.encode()) for name, value in orjson.loads(row["headers"])]
            pending.append(
                await producer.send(row["topic"], row["value"], key=row["key"], headers=headers)
            )
        await asyncio.gather(*pending)

    async def _purge_and_measure(self, work: asyncpg.Connection) -> None:
        await work.execute(_PURGE, self.settings.outbox_retention_hours * 3600)
        count, age = await work.fetchrow(_BACKLOG)
        UNSENT.labels(self.settings.service_name).set(count)
        LAG.labels(self.settings.service_name).set(float(age))


async def _close(connection: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(connection.close(), 2)
    except (OSError, asyncpg.InterfaceError, TimeoutError):
        connection.terminate()
