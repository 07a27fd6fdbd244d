"""A private broker that loses its whole log: topics, producers and outboxes heal by themselves.

The embedded broker (tansu) keeps its log in memory: a restart empties it. It creates a topic
that a metadata request names (aiokafka allows that by default) with 4 partitions, whatever
`TOPIC_PARTITIONS` says, and it acknowledges records sent to a partition or a topic it does not
have, and drops them. Each test starts a broker of its own in a temporary directory.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import UnknownTopicOrPartitionError
from aiokafka.protocol.metadata import MetadataRequest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from jointcredit.cli import app
from jointcredit.infra.broker import EmbeddedBroker
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.delivery.relay import BROKER_LOSSES, OutboxRelay
from shared.events.envelope import new_event
from shared.kafka import TopicCreator, make_consumer, make_producer, make_reader
from shared.persistence.database import make_engine, make_sessionmaker
from shared.settings import ServiceSettings
from tests.support.infra import fresh_delivery_database, settings_for
from tests.support.kafka import wait_for

pytestmark = pytest.mark.e2e

Records = list[ConsumerRecord[bytes, bytes]]

_QUICK = {"kafka_request_timeout_ms": 1_500, "kafka_session_timeout_ms": 1_000}
"""How long a client made here waits for a topic's metadata before it gives up."""


@asynccontextmanager
async def private_broker() -> AsyncIterator[EmbeddedBroker]:
    with tempfile.TemporaryDirectory() as state:
        broker = EmbeddedBroker(Path(state), name="private")
        broker.start()
        try:
            yield broker
        finally:
            broker.stop()


def _bootstrap(broker: EmbeddedBroker) -> str:
    port = broker.running_port()
    assert port is not None
    return broker.bootstrap(port)


def _events(topic: str, count: int, start: int = 0, keys: int = 40) -> list[OutgoingEvent]:
    return [
        OutgoingEvent(
            topic,
            f"k{i % keys}",
            new_event("test.sequenced.v1", "tests", {"key": f"k{i % keys}", "seq": i}),
        )
        for i in range(start, start + count)
    ]


async def _partition_counts(bootstrap: str, topics: list[str]) -> dict[str, int]:
    creator = TopicCreator(bootstrap, partitions=1)
    await creator.start()
    try:
        return await creator.partition_counts(topics)
    finally:
        await creator.close()


async def _auto_create(bootstrap: str, topic: str) -> None:
    """What any client does by default: a metadata request that lets the broker create."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin._send_request(MetadataRequest([topic], allow_auto_topic_creation=True))
    finally:
        await admin.close()


async def _read_all(
    settings: ServiceSettings, topic: str, done: Callable[[Records], bool], timeout_s: float = 60
) -> Records:
    """Every record of `topic` on the partitions its metadata names, read without creating it."""
    counts = await _partition_counts(settings.kafka_bootstrap_servers, [topic])
    if topic not in counts:
        return []
    reader = make_reader(settings, "test-read")
    await reader.start()
    records: Records = []
    try:
        partitions = [TopicPartition(topic, p) for p in range(counts[topic])]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not done(records):
            for batch in (await reader.getmany(timeout_ms=200, max_records=5000)).values():
                records.extend(batch)
        return records
    finally:
        await reader.stop()


def _event_ids(records: Records) -> Counter[str]:
    return Counter(orjson.loads(record.value)["id"] for record in records)


async def _outbox_ids(engine: AsyncEngine) -> dict[str, set[str]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT topic, event_id FROM outbox"))).all()
    ids: dict[str, set[str]] = defaultdict(set)
    for topic, event_id in rows:
        ids[topic].add(str(event_id))
    return ids


async def _unsent(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
        )


async def test_no_client_made_here_creates_a_topic_and_a_default_one_creates_it_with_4() -> None:
    async with private_broker() as broker:
        bootstrap = _bootstrap(broker)
        settings = settings_for(
            "postgresql://unused", bootstrap, "unused", topic_partitions=6, **_QUICK
        )
        missing = f"test.nocreate.{uuid.uuid4().hex[:8]}"
        consumer = make_consumer(settings, f"g-{uuid.uuid4().hex[:6]}", [missing])
        with pytest.raises(UnknownTopicOrPartitionError):
            await consumer.start()  # it waits for the topic, then gives up: run() starts anew
        await consumer.stop()
        producer = make_producer(settings)
        reader = make_reader(settings, "test-read")
        await producer.start()
        await reader.start()
        try:
            reader.assign([TopicPartition(missing, 0)])
            await reader.getmany(timeout_ms=500)
            with pytest.raises(UnknownTopicOrPartitionError):
                await producer.send_and_wait(missing, b"x")
            assert await _partition_counts(bootstrap, [missing]) == {}
        finally:
            await producer.stop()
            await reader.stop()

        await _auto_create(bootstrap, missing)  # what the clients did before
        assert await _partition_counts(bootstrap, [missing]) == {missing: 4}


async def test_the_broker_acknowledges_records_for_partitions_it_does_not_have() -> None:
    """The cause of "the outbox says sent, the topic holds nothing": a producer whose metadata
    is from before the topic was recreated with fewer partitions (or before it vanished)."""
    async with private_broker() as broker:
        bootstrap = _bootstrap(broker)
        topic = f"test.stray.{uuid.uuid4().hex[:8]}"
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, metadata_max_age_ms=300_000)
        await producer.start()
        try:
            await admin.create_topics([NewTopic(topic, 6, 1)])
            await producer.send_and_wait(topic, b"before", partition=5)
            await admin.delete_topics([topic])
            await admin.create_topics([NewTopic(topic, 4, 1)])
            ack = await producer.send_and_wait(topic, b"lost", partition=5)
            assert ack.partition == 5, "acknowledged on a partition the topic does not have"
            await admin.delete_topics([topic])
            ack = await producer.send_and_wait(topic, b"lost too", partition=0)
            assert await _partition_counts(bootstrap, [topic]) == {}, "acknowledged, no topic"
        finally:
            await producer.stop()
            await admin.close()


async def test_a_relay_whose_topic_came_back_with_4_partitions_delivers_every_row(
    database_url: str,
) -> None:
    """The topic is recreated with 4 partitions under a relay that partitioned by 6: the relay
    partitions by 4, marks nothing the broker put on a partition that does not exist, and
    sends again what the old topic held."""
    async with private_broker() as broker:
        bootstrap = _bootstrap(broker)
        topic = f"test.fourvsix.{uuid.uuid4().hex[:8]}"
        name = await fresh_delivery_database(database_url)
        settings = settings_for(database_url, bootstrap, name, topic_partitions=6)
        engine = make_engine(settings)
        sessions = make_sessionmaker(engine)
        relay = OutboxRelay(settings)
        relay.loss_watch.check_every_s = 0.5
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            async with sessions() as session:
                await add_events(session, _events(topic, 120))
                await session.commit()
            await wait_for(lambda: _unsent_is(engine, 0), timeout_s=60)
            assert await _partition_counts(bootstrap, [topic]) == {topic: 6}
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
            await admin.start()
            await admin.delete_topics([topic])
            await admin.close()
            await _auto_create(bootstrap, topic)
            assert await _partition_counts(bootstrap, [topic]) == {topic: 4}
            async with sessions() as session:
                await add_events(session, _events(topic, 120, start=120))
                await session.commit()
            wanted = (await _outbox_ids(engine))[topic]

            async def all_there() -> bool:
                if await _unsent(engine):
                    return False
                records = await _read_all(settings, topic, lambda r: False, timeout_s=1)
                return set(_event_ids(records)) == wanted

            await wait_for(all_there, timeout_s=90)
            assert len(wanted) == 240
        finally:
            stop.set()
            await task
            await engine.dispose()


async def _unsent_is(engine: AsyncEngine, count: int) -> bool:
    return await _unsent(engine) == count


async def test_a_broker_restarted_empty_mid_stream_gets_every_outbox_row_again(
    database_url: str,
) -> None:
    """Two topics, writers adding events while the broker restarts empty: afterwards the new
    broker holds every row of the outbox, sent before or after the loss, with nobody running
    a command, and the last copy of each event keeps the order of its key."""
    async with private_broker() as broker:
        bootstrap = _bootstrap(broker)
        topics = [f"test.healing.{uuid.uuid4().hex[:8]}.{n}" for n in range(2)]
        name = await fresh_delivery_database(database_url)
        settings = settings_for(
            database_url, bootstrap, name, topic_partitions=3, outbox_batch_size=50
        )
        engine = make_engine(settings)
        sessions = make_sessionmaker(engine)
        relay = OutboxRelay(settings)
        relay.loss_watch.check_every_s = 1.0
        losses_before = BROKER_LOSSES.labels(settings.service_name)._value.get()
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        written = 0

        async def write(rounds: int) -> None:
            nonlocal written
            for _ in range(rounds):
                async with sessions() as session:
                    for topic in topics:
                        await add_events(session, _events(topic, 10, start=written))
                    await session.commit()
                written += 10
                await asyncio.sleep(0.01)  # let the relay interleave with the writers

        try:
            await write(30)
            await wait_for(lambda: _unsent_is(engine, 0), timeout_s=60)
            writing = asyncio.create_task(write(30))
            await asyncio.to_thread(broker.stop)
            await asyncio.to_thread(broker.start)  # same port, empty: no topics, no records
            await writing
            wanted = await _outbox_ids(engine)
            assert {topic: len(ids) for topic, ids in wanted.items()} == dict.fromkeys(topics, 600)

            async def all_there() -> bool:
                if await _unsent(engine):
                    return False
                for topic in topics:
                    records = await _read_all(settings, topic, lambda r: False, timeout_s=1)
                    if set(_event_ids(records)) != wanted[topic]:
                        return False
                return True

            await wait_for(all_there, timeout_s=120)
            assert await _partition_counts(bootstrap, topics) == dict.fromkeys(topics, 3)
            assert BROKER_LOSSES.labels(settings.service_name)._value.get() > losses_before
            for topic in topics:
                records = await _read_all(settings, topic, lambda r: len(r) >= 600)
                assert set(_event_ids(records)) == wanted[topic], "nothing missing"
                _assert_last_copies_in_key_order(records)
        finally:
            stop.set()
            await task
            await engine.dispose()


def _assert_last_copies_in_key_order(records: Records) -> None:
    last: dict[int, tuple[int, int, str]] = {}
    for record in records:
        data = orjson.loads(record.value)["data"]
        last[data["seq"]] = (record.partition, record.offset, data["key"])
    by_key: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for seq, (partition, offset, key) in last.items():
        by_key[key].append((partition, offset, seq))
    for key, copies in by_key.items():
        assert len({partition for partition, _, _ in copies}) == 1, f"{key}: one partition"
        seqs = [seq for _, _, seq in sorted(copies)]
        assert seqs == sorted(seqs), f"order of {key}"


async def test_requeue_by_a_relay_started_after_the_loss_sends_each_marked_row_once(
    database_url: str,
) -> None:
    """The operator's fallback, for a relay that started after the loss (it knows nothing of
    what the broker held): every row `jointcredit outbox requeue` marks is on the broker again,
    also on a topic another client re-created with the broker's 4 partitions."""
    async with private_broker() as broker:
        bootstrap = _bootstrap(broker)
        topic = f"test.requeue.{uuid.uuid4().hex[:8]}"
        name = await fresh_delivery_database(database_url)
        settings = settings_for(database_url, bootstrap, name, topic_partitions=6)
        engine = make_engine(settings)
        async with make_sessionmaker(engine)() as session:
            await add_events(session, _events(topic, 221))
            await session.commit()
        stop = asyncio.Event()
        first = asyncio.create_task(OutboxRelay(settings).run(stop))
        await wait_for(lambda: _unsent_is(engine, 0), timeout_s=60)
        stop.set()
        await first
        broker.stop()
        broker.start()
        await _auto_create(bootstrap, topic)
        env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
        answer = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            ["outbox", "requeue", "--since-hours", "1", "--database-name", name],
            env=env,
        )
        assert answer.exit_code == 0, answer.output
        assert "221 events marked" in answer.output
        stop = asyncio.Event()
        second = asyncio.create_task(OutboxRelay(settings).run(stop))
        try:
            await wait_for(lambda: _unsent_is(engine, 0), timeout_s=60)
            records = await _read_all(settings, topic, lambda r: len(r) >= 221)
            ids = _event_ids(records)
            assert len(ids) == 221, "every marked row"
            assert sum(ids.values()) == 221, "each once"
        finally:
            stop.set()
            await second
            await engine.dispose()


async def test_requeue_through_a_relay_that_published_before_the_loss(database_url: str) -> None:
    """The case of 221 rows marked and 119 arriving: the relay kept running across the loss,
    its producer partitioning by the 6 partitions it knew while the topic came back with 4 (the
    broker acknowledged what went to partitions 4 and 5, and dropped it). Its own loss check is
    made rare here, so that the command is what brings the rows back."""
    async with private_broker() as broker:
        bootstrap = _bootstrap(broker)
        topic = f"test.requeue.{uuid.uuid4().hex[:8]}"
        name = await fresh_delivery_database(database_url)
        settings = settings_for(database_url, bootstrap, name, topic_partitions=6)
        engine = make_engine(settings)
        async with make_sessionmaker(engine)() as session:
            await add_events(session, _events(topic, 221))
            await session.commit()
        relay = OutboxRelay(settings)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            await wait_for(lambda: _unsent_is(engine, 0), timeout_s=60)
            relay.loss_watch.check_every_s = 3600.0
            await asyncio.to_thread(broker.stop)
            await asyncio.to_thread(broker.start)
            await _auto_create(bootstrap, topic)
            env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
            answer = await asyncio.to_thread(
                CliRunner().invoke,
                app,
                ["outbox", "requeue", "--since-hours", "1", "--database-name", name],
                env=env,
            )
            assert answer.exit_code == 0, answer.output
            assert "221 events marked" in answer.output
            wanted = (await _outbox_ids(engine))[topic]

            async def all_there() -> bool:
                if await _unsent(engine):
                    return False
                records = await _read_all(settings, topic, lambda r: False, timeout_s=1)
                return set(_event_ids(records)) == wanted

            await wait_for(all_there, timeout_s=60)
            assert len(wanted) == 221
        finally:
            stop.set()
            await task
            await engine.dispose()
