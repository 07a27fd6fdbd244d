"""The inbox and the consumer loop against the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaProducer

from shared.delivery.consumer import ConsumerLoop
from shared.delivery.metrics import MESSAGES
from shared.events.envelope import Envelope, new_event
from shared.kafka import ensure_topics
from shared.persistence.database import make_engine, make_sessionmaker
from shared.topics import Topic
from tests.support.effects import count_effects, create_effects_table, record_effect
from tests.support.infra import fresh_delivery_database, settings_for
from tests.support.kafka import read_until, wait_for

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, items: Sequence[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def _envelope(key: str, seq: int, **extra: object) -> Envelope:
    return new_event("test.sequenced.v1", "tests", {"key": key, "seq": seq, **extra})


class Harness:
    def __init__(self, database_url: str, bootstrap: str) -> None:
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.topic = f"test.consume.{uuid.uuid4().hex[:8]}"
        self.group = f"group-{uuid.uuid4().hex[:8]}"

    async def __aenter__(self) -> Harness:
        await ensure_topics(self.bootstrap, 1, [self.topic, Topic.DEAD_LETTERS.value])
        self.database = await fresh_delivery_database(self.database_url)
        self.settings = settings_for(self.database_url, self.bootstrap, self.database)
        self.engine = make_engine(self.settings)
        await create_effects_table(self.engine)
        self.loop = ConsumerLoop(
            self.group, [self.topic], record_effect, make_sessionmaker(self.engine), self.settings
        )
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.loop.run(self.stop))
        return self

    async def __aexit__(self, *_: object) -> None:
        self.stop.set()
        await self.task
        await self.engine.dispose()

    def count(self, outcome: str) -> float:
        return float(MESSAGES.labels(self.group, outcome)._value.get())


async def test_an_event_delivered_three_times_is_applied_once(
    database_url: str, bootstrap: str
) -> None:
    async with Harness(database_url, bootstrap) as h:
        once = _envelope("a", 1)
        other = _envelope("a", 2)
        await _produce(
            bootstrap, h.topic, [(b"a", once.to_bytes())] * 3 + [(b"a", other.to_bytes())]
        )
        await wait_for(lambda: h.count("processed") + h.count("duplicate") >= 4)
        assert await count_effects(h.engine) == (2, 2)
        assert h.count("duplicate") == 2


async def test_a_poison_message_is_dead_lettered_and_the_partition_moves_on(
    database_url: str, bootstrap: str
) -> None:
    async with Harness(database_url, bootstrap) as h:
        before = _envelope("p", 1)
        failing = _envelope("p", 2, fail="always")
        permanent = _envelope("p", 3, fail="permanent")
        after = _envelope("p", 4)
        await _produce(
            bootstrap,
            h.topic,
            [
                (b"p", before.to_bytes()),
                (b"p", b"{not json"),
                (b"p", failing.to_bytes()),
                (b"p", permanent.to_bytes()),
                (b"p", after.to_bytes()),
            ],
        )

        async def applied_both() -> bool:
            return await count_effects(h.engine) == (2, 2)

        await wait_for(applied_both)

        def mine(records: list) -> list:  # type: ignore[type-arg]
            return [r for r in records if dict(r.headers).get("dlq_consumer") == h.group.encode()]

        dead = mine(
            await read_until(bootstrap, Topic.DEAD_LETTERS.value, lambda r: len(mine(r)) >= 3)
        )
        assert [r.value for r in dead] == [b"{not json", failing.to_bytes(), permanent.to_bytes()]
        errors = [dict(r.headers)["dlq_error"].decode() for r in dead]
        assert "not a CloudEvent" in errors[0]
        assert "fails every time" in errors[1]
        assert "cannot be processed" in errors[2]
        attempts = [dict(r.headers)["dlq_attempts"] for r in dead]
        assert attempts == [b"1", str(h.settings.consumer_max_attempts).encode(), b"1"]
        assert {dict(r.headers)["dlq_topic"] for r in dead} == {h.topic.encode()}
        assert h.count("dead_lettered") == 3
