"""The one generic outbox relay: publishes unsent rows in position order and marks them sent.

- Only one relay per database publishes at a time (a PostgreSQL advisory lock), so rows of one key
  leave in the order they were written.
- It selects by `sent_at IS NULL`, never by a high-water mark, so a row that a concurrent
  transaction commits late is still found.
- A commit's NOTIFY wakes it at once; polling is only the fallback.
- A crash between publishing and marking re-publishes the batch: consumers' inboxes absorb that.
- A row is marked sent only once the broker acknowledged it on a partition the topic has: a
  broker accepts (and drops) records for partitions and topics it does not hold, which a
  producer partitioning by metadata from before a broker loss would send.
- A broker that lost what was published (broker_loss.py) gets the rows still kept sent again:
  every retained row of the topics lost, and of the topics this relay cannot vouch for, is
  marked unsent and leaves again in position order, so order per key holds.
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
from aiokafka.structs import RecordMetadata
from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge

from shared import failpoints
from shared.delivery.broker_loss import BrokerLossWatch
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
BROKER_LOSSES = MetricCounter(
    "jointcredit_outbox_broker_losses_total",
    "times the relay found the broker had lost records it published",
    ["service"],
)
REQUEUED_AFTER_LOSS = MetricCounter(
    "jointcredit_outbox_requeued_after_loss_total",
    "sent rows marked unsent because the broker lost them",
    ["service", "topic"],
)

_SELECT = """
SELECT position, topic, key, value, headers FROM outbox
WHERE sent_at IS NULL ORDER BY position LIMIT $1
"""
_MARK = "UPDATE outbox SET sent_at = now() WHERE position = ANY($1::bigint[])"
_PURGE = "DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)"
_REQUEUE_ALL_BUT = """
WITH requeued AS (
    UPDATE outbox SET sent_at = NULL
    WHERE sent_at IS NOT NULL AND NOT (topic = ANY($1::text[]))
    RETURNING topic
)
SELECT topic, count(*) FROM requeued GROUP BY topic
"""
_BACKLOG = """
SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
FROM outbox WHERE sent_at IS NULL
"""


class UnconfirmedSend(KafkaError):  # type: ignore[misc]
    """The broker acknowledged records on partitions its topic does not have: the batch is not
    marked sent, and goes again with a new producer (fresh metadata)."""


@dataclass
class OutboxRelay:
    settings: ServiceSettings
    producer_factory: Callable[[ServiceSettings], AIOKafkaProducer] = make_producer
    purge_every_s: float = 60.0
    is_leader: bool = field(default=False, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    loss_watch: BrokerLossWatch = field(init=False)
    """what the broker acknowledged, kept across reconnections (a broker loss breaks them)"""

    def __post_init__(self) -> None:
        self.loss_watch = BrokerLossWatch(self.settings)

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
            self.loss_watch.check_soon()  # reconnecting: the broker may have lost its log
            await control.add_listener(OUTBOX_CHANNEL, self.wake)
            await producer.start()
            await topics.start()
            await self._publish_loop(control, work, producer, topics, stop)
        finally:
            self.is_leader = False
            await producer.stop()
            await topics.close()
            await self.loss_watch.close()
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
            if self.loss_watch.due():
                await self._requeue_what_the_broker_lost(work, topics)
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
        batch_topics = {row["topic"] for row in rows}
        # Create missing topics first: a broker that lost its log must not choose the
        # partitioning; then partition by the count the broker has now.
        await _refresh_if_stale(producer, await topics.ensured_counts(batch_topics))
        acks = await self._send(producer, rows)
        counts = await topics.partition_counts(batch_topics)
        stray = [ack for ack in acks if ack.partition >= counts.get(ack.topic, 0)]
        if stray:
            raise UnconfirmedSend(
                f"{len(stray)} records acknowledged on partitions that do not exist "
                f"(e.g. {stray[0].topic}[{stray[0].partition}]; partitions now: {counts})"
            )
        failpoints.reach("relay.after_publish")
        await work.execute(_MARK, [row["position"] for row in rows])
        for row, ack in zip(rows, acks, strict=True):
            self.loss_watch.acknowledged(
                ack.topic, counts[ack.topic], ack.partition, ack.offset, row["value"]
            )
        for topic, count in Counter(row["topic"] for row in rows).items():
            PUBLISHED.labels(self.settings.service_name, topic).inc(count)
        return len(rows)

    async def _send(
        self, producer: AIOKafkaProducer, rows: list[asyncpg.Record]
    ) -> list[RecordMetadata]:
        pending = []
        for row in rows:
            headers = [(name, value.encode()) for name, value in orjson.loads(row["headers"])]
            pending.append(
                await producer.send(row["topic"], row["value"], key=row["key"], headers=headers)
            )
        return list(await asyncio.gather(*pending))

    async def _requeue_what_the_broker_lost(
        self, work: asyncpg.Connection, topics: TopicCreator
    ) -> None:
        """Recreate the platform's missing topics (a consumer cannot start while one of its
        topics is missing, and nothing else creates them) and mark unsent the kept rows of
        every topic the broker lost, and of every topic this relay has not published to since
        it started (it cannot vouch for those)."""
        known = self.loss_watch.known_topics()
        try:
            counts = await topics.partition_counts(known | set(self.settings.all_topics))
            await topics.ensure(set(self.settings.all_topics) - set(counts))
            lost = await self.loss_watch.lost_topics(counts)
        except (KafkaError, OSError, TimeoutError) as error:
            log.info("broker not checked for a loss; next time", extra={"error": repr(error)})
            return
        if not lost:
            return
        requeued = dict(await work.fetch(_REQUEUE_ALL_BUT, sorted(known - lost)))
        self.loss_watch.forget(lost)
        BROKER_LOSSES.labels(self.settings.service_name).inc()
        for topic, count in requeued.items():
            REQUEUED_AFTER_LOSS.labels(self.settings.service_name, topic).inc(count)
        log.warning(
            "the broker lost records this relay had published; sending the kept rows again",
            extra={"lost_topics": sorted(lost), "requeued": requeued},
        )

    async def _purge_and_measure(self, work: asyncpg.Connection) -> None:
        await work.execute(_PURGE, self.settings.outbox_retention_hours * 3600)
        count, age = await work.fetchrow(_BACKLOG)
        UNSENT.labels(self.settings.service_name).set(count)
        LAG.labels(self.settings.service_name).set(float(age))


async def _refresh_if_stale(producer: AIOKafkaProducer, counts: dict[str, int]) -> None:
    """Make the producer partition by the broker's partition counts (`counts`), refreshing its
    metadata if it knows another count (from before a broker loss) for one of the topics."""
    cluster = producer.client.cluster

    def stale() -> list[str]:
        known = {topic: cluster.partitions_for_topic(topic) for topic in counts}
        return [t for t, parts in known.items() if parts is not None and len(parts) != counts[t]]

    if stale():
        await producer.client.force_metadata_update()
        if stale():
            raise UnconfirmedSend(f"the producer's metadata still differs for {stale()}")


async def _close(connection: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(connection.close(), 2)
    except (OSError, asyncpg.InterfaceError, TimeoutError):
        connection.terminate()
