"""The relay and a consumer SIGKILLed at the worst moments; a broker that loses its log."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import uuid
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text

from jointcredit.infra.broker import EmbeddedBroker
from shared.delivery.consumer import ConsumerLoop
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.delivery.relay import OutboxRelay
from shared.events.envelope import new_event
from shared.kafka import ensure_topics
from shared.persistence.database import make_engine, make_sessionmaker
from tests.support.effects import count_effects, create_effects_table, record_effect
from tests.support.infra import fresh_delivery_database, settings_for
from tests.support.kafka import read_until, wait_for
from tests.support.processes import kill, spawn, stop

pytestmark = pytest.mark.e2e


def _events(topic: str, count: int, start: int = 0) -> list[OutgoingEvent]:
    return [
        OutgoingEvent(
            topic,
            f"k{i % 50}",
            new_event("test.sequenced.v1", "tests", {"key": f"k{i % 50}", "seq": i}),
        )
        for i in range(start, start + count)
    ]


async def _sent_count(engine: object) -> int:
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        return int(
            await connection.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"))
        )


async def test_relay_killed_mid_stream_loses_nothing(database_url: str, bootstrap: str) -> None:
    total = 20_000
    topic = f"test.relaykill.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, 3, [topic])
    name = await fresh_delivery_database(database_url)
    engine = make_engine(settings_for(database_url, bootstrap, name))
    async with make_sessionmaker(engine)() as session:
        await add_events(session, _events(topic, total))
        await session.commit()
    env = {
        "DATABASE_URL": database_url,
        "DATABASE_NAME": name,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "OUTBOX_BATCH_SIZE": "20",
    }
    relay = spawn(["-m", "jointcredit.cli", "relay"], env)

    async def some_sent() -> bool:
        return await _sent_count(engine) >= 2_000

    await wait_for(some_sent, timeout_s=60)
    kill(relay)
    sent_at_kill = await _sent_count(engine)
    assert sent_at_kill < total, "the relay must be killed mid-stream"
    relay = spawn(["-m", "jointcredit.cli", "relay"], env)

    async def all_sent() -> bool:
        return await _sent_count(engine) == total

    await wait_for(all_sent, timeout_s=120)
    stop(relay)
    records = await read_until(bootstrap, topic, lambda r: len(r) >= total, timeout_s=60)
    seqs = [orjson.loads(r.value)["data"]["seq"] for r in records]
    assert set(seqs) == set(range(total)), "nothing lost"
    duplicates = len(seqs) - total
    assert duplicates <= 20 * 3, "at most the batches in flight at the kill are published twice"
    await engine.dispose()


async def test_consumer_killed_between_db_commit_and_offset_commit(
    database_url: str, bootstrap: str
) -> None:
    total = 300
    topic = f"test.consumerkill.{uuid.uuid4().hex[:8]}"
    group = f"group-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, 1, [topic])
    name = await fresh_delivery_database(database_url)
    settings = settings_for(database_url, bootstrap, name)
    engine = make_engine(settings)
    await create_effects_table(engine)
    async with make_sessionmaker(engine)() as session:
        await add_events(session, _events(topic, total))
        await session.commit()
    relay_stop = asyncio.Event()
    relay_task = asyncio.create_task(OutboxRelay(settings).run(relay_stop))
    await read_until(bootstrap, topic, lambda r: len(r) >= total)
    relay_stop.set()
    await relay_task

    args = [
        "-m",
        "tests.support.consumer_process",
        "--database-url",
        database_url,
        "--bootstrap",
        bootstrap,
        "--database",
        name,
        "--group",
        group,
        "--topic",
        topic,
        "--batch-size",
        "50",
    ]
    crashing = spawn(args, {"JOINTCREDIT_FAILPOINTS": "consumer.after_db_commit=kill"})
    assert crashing.wait(60) == -9, "the consumer killed itself after its first database commit"
    applied_before_crash, _ = await count_effects(engine)
    assert 0 < applied_before_crash < total

    survivor = spawn(args)

    async def all_applied() -> bool:
        return (await count_effects(engine))[0] >= total

    await wait_for(all_applied, timeout_s=60)
    counts = orjson.loads(stop(survivor).strip().splitlines()[-1])
    assert await count_effects(engine) == (total, total), "each event applied exactly once"
    assert counts["duplicate"] == applied_before_crash, "the re-read events were skipped"
    assert counts["processed"] == total - applied_before_crash
    await engine.dispose()


async def test_broker_restart_losing_its_log_needs_no_manual_step(
    database_url: str,
) -> None:
    with tempfile.TemporaryDirectory() as state:
        broker = EmbeddedBroker(Path(state), name="private")
        bootstrap = broker.start()
        topic = f"test.brokerloss.{uuid.uuid4().hex[:8]}"
        await ensure_topics(bootstrap, 2, [topic])
        name = await fresh_delivery_database(database_url)
        settings = settings_for(database_url, bootstrap, name, topic_partitions=2)
        engine = make_engine(settings)
        await create_effects_table(engine)
        sessions = make_sessionmaker(engine)
        stop_all = asyncio.Event()
        relay = asyncio.create_task(OutboxRelay(settings).run(stop_all))
        consumer = asyncio.create_task(
            ConsumerLoop("brokerloss", [topic], record_effect, sessions, settings).run(stop_all)
        )
        try:
            async with sessions() as session:
                await add_events(session, _events(topic, 100))
                await session.commit()

            async def applied(n: int) -> bool:
                return (await count_effects(engine))[1] >= n

            await wait_for(lambda: applied(100), timeout_s=60)
            broker.stop()
            broker.start()  # same port, empty log, no topics, no committed offsets
            async with sessions() as session:
                await add_events(session, _events(topic, 100, start=100))
                await session.commit()
            await wait_for(lambda: applied(200), timeout_s=90)
            assert await count_effects(engine) == (200, 200)
        finally:
            stop_all.set()
            await asyncio.gather(relay, consumer)
            broker.stop()
            await engine.dispose()


def _produce_in_thread(bootstrap: str, topic: str, events: list[OutgoingEvent]) -> None:
    """Produce from a thread of its own while the test's event loop is blocked."""

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for event in events:
                await producer.send_and_wait(
                    topic, event.envelope.to_bytes(), key=(event.key or "").encode(), partition=0
                )
        finally:
            await producer.stop()

    asyncio.run(produce())


async def _commit_offset(bootstrap: str, group: str, topic: str, offset: int) -> None:
    committer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        partition = TopicPartition(topic, 0)
        committer.assign([partition])
        await committer.commit({partition: offset})
    finally:
        await committer.stop()


async def test_a_consumer_paused_across_a_log_loss_still_reads_the_new_logs_start(
    database_url: str,
) -> None:
    """The consumer is frozen (its event loop blocked, as by SIGSTOP) while the broker restarts
    empty, 30 events are written and its group's offset 20 is committed there: its position is
    inside the new log, so offsets cannot tell it anything is wrong. The log watch finds another
    record at the offset it anchored and the partition is read again from its start: all 50
    applied, once each."""
    with tempfile.TemporaryDirectory() as state:
        broker = EmbeddedBroker(Path(state), name="private")
        bootstrap = broker.start()
        topic = f"test.paused.{uuid.uuid4().hex[:8]}"
        await ensure_topics(bootstrap, 1, [topic])
        name = await fresh_delivery_database(database_url)
        settings = settings_for(
            database_url, bootstrap, name, topic_partitions=1, consumer_log_check_interval_s=1.0
        )
        engine = make_engine(settings)
        await create_effects_table(engine)
        stop_all = asyncio.Event()
        loop = ConsumerLoop("paused", [topic], record_effect, make_sessionmaker(engine), settings)
        consumer = asyncio.create_task(loop.run(stop_all))
        try:
            await asyncio.to_thread(_produce_in_thread, bootstrap, topic, _events(topic, 20))

            async def applied(n: int) -> bool:
                return (await count_effects(engine))[1] >= n

            await wait_for(lambda: applied(20), timeout_s=60)

            def lose_the_log_while_frozen() -> None:
                broker.stop()
                broker.start()
                asyncio.run(ensure_topics(bootstrap, 1, [topic]))
                _produce_in_thread(bootstrap, topic, _events(topic, 30, start=20))
                # As if the consumer's own commit had reached the new broker before it noticed
                # anything: its group resumes at 20 even after joining again.
                asyncio.run(_commit_offset(bootstrap, "paused", topic, 20))

            frozen = threading.Thread(target=lose_the_log_while_frozen)
            frozen.start()
            frozen.join()  # blocks this event loop, the consumer's too
            await wait_for(lambda: applied(50), timeout_s=60)
            assert await count_effects(engine) == (50, 50)
        finally:
            stop_all.set()
            await consumer
            broker.stop()
            await engine.dispose()
