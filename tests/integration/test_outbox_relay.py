"""The outbox and its relay against the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict

import orjson
import pytest
from sqlalchemy import text

from shared.delivery.outbox import OutgoingEvent, add_events
from shared.delivery.relay import OutboxRelay
from shared.events.envelope import new_event
from shared.kafka import ensure_topics
from shared.persistence.database import make_engine, make_sessionmaker
from tests.support.infra import fresh_delivery_database, settings_for
from tests.support.kafka import read_until, wait_for

pytestmark = pytest.mark.integration

WRITERS = 40
EVENTS_PER_WRITER = 250  # 10,000 in all


def _event(topic: str, key: str, seq: int) -> OutgoingEvent:
    return OutgoingEvent(
        topic, key, new_event("test.sequenced.v1", "tests", {"key": key, "seq": seq})
    )


async def test_concurrent_writers_rollbacks_and_late_commits(
    database_url: str, bootstrap: str
) -> None:
    topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, 3, [topic])
    name = await fresh_delivery_database(database_url)
    settings = settings_for(database_url, bootstrap, name, outbox_batch_size=500)
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    committed: dict[str, list[int]] = defaultdict(list)
    rolled_back: set[tuple[str, int]] = set()
    rng = random.Random(7)

    async def writer(number: int) -> None:
        key = f"subject-{number % 25}-{number}"
        seq = 0
        while seq < EVENTS_PER_WRITER:
            batch = [_event(topic, key, seq + i) for i in range(rng.randint(1, 5))]
            batch = batch[: EVENTS_PER_WRITER - seq]
            async with sessions() as session:
                await add_events(session, batch)
                fate = rng.random()
                if fate < 0.1:
                    await session.rollback()
                    rolled_back.update((key, e.envelope.data["seq"]) for e in batch)
                    # the same sequence numbers are written again, as a retrying caller would
                    continue
                if fate < 0.2:
                    await asyncio.sleep(rng.uniform(0.05, 0.3))  # commits late, after others
                await session.commit()
            committed[key].extend(e.envelope.data["seq"] for e in batch)
            seq += len(batch)

    relay = OutboxRelay(settings)
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    total = sum(len(v) for v in committed.values())
    assert total == WRITERS * EVENTS_PER_WRITER

    async def all_sent() -> bool:
        async with engine.connect() as connection:
            unsent = await connection.scalar(
                text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            )
        return bool(unsent == 0)

    await wait_for(all_sent, timeout_s=120)
    stop.set()
    await relay_task
    records = await read_until(bootstrap, topic, lambda r: len(r) >= total, timeout_s=60)

    published: dict[str, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        data = orjson.loads(record.value)["data"]
        assert record.key == data["key"].encode()
        published[data["key"]].append(data["seq"])
    assert sum(len(v) for v in published.values()) == total, "every committed event, once"
    for key, seqs in committed.items():
        assert published[key] == seqs == list(range(EVENTS_PER_WRITER)), f"order of {key}"
    assert rolled_back, "the test must roll some transactions back"
    await engine.dispose()


async def test_sent_rows_are_kept_and_can_be_requeued(database_url: str, bootstrap: str) -> None:
    from datetime import UTC, datetime, timedelta

    from shared.delivery.outbox import requeue_sent

    topic = f"test.requeue.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, 1, [topic])
    name = await fresh_delivery_database(database_url)
    settings = settings_for(database_url, bootstrap, name)
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        await add_events(session, [_event(topic, "k", i) for i in range(10)])
        await session.commit()
    stop = asyncio.Event()
    relay_task = asyncio.create_task(OutboxRelay(settings).run(stop))
    await read_until(bootstrap, topic, lambda r: len(r) >= 10)
    async with sessions() as session:
        assert await requeue_sent(session, datetime.now(UTC) - timedelta(hours=1)) == 10
        await session.commit()
    records = await read_until(bootstrap, topic, lambda r: len(r) >= 20)
    stop.set()
    await relay_task
    seqs = [orjson.loads(r.value)["data"]["seq"] for r in records]
    assert seqs == list(range(10)) * 2
    await engine.dispose()
