"""Work gathered for a batch's commit, against the real PostgreSQL and broker.

The invariant under test: an inbox row commits only in the transaction that holds every effect
of its message. A message whose inbox row commits without its effect is lost for good, since a
re-send under the same event id is skipped by the inbox. Each test counts the inbox rows of its
consumer that have no effect row.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.delivery.consumer import ConsumerLoop, Handler, MessageContext, gathered_for_commit
from shared.delivery.metrics import MESSAGES
from shared.events.envelope import Envelope, new_event
from shared.kafka import ensure_topics
from shared.persistence.database import drop_database, make_engine, make_sessionmaker
from shared.settings import ServiceSettings
from shared.topics import Topic
from tests.support.effects import count_effects, create_effects_table
from tests.support.infra import fresh_delivery_database, settings_for
from tests.support.kafka import wait_for

pytestmark = pytest.mark.integration

_WRITE_EFFECTS = text(
    "INSERT INTO effects (event_id, key, seq) "
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:keys AS text[]), CAST(:seqs AS int[]))"
)
_WITHOUT_EFFECT = text(
    "SELECT count(*) FROM inbox i WHERE i.consumer = :consumer "
    "AND NOT EXISTS (SELECT 1 FROM effects e WHERE e.event_id = i.event_id)"
)
_WITHOUT_INBOX_ROW = text(
    "SELECT count(*) FROM effects e WHERE NOT EXISTS "
    "(SELECT 1 FROM inbox i WHERE i.consumer = :consumer AND i.event_id = e.event_id)"
)


@dataclass
class Platform:
    engine: AsyncEngine
    settings: ServiceSettings
    topic: str
    group: str

    async def inbox_rows(self) -> int:
        async with self.engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT count(*) FROM inbox WHERE consumer = :consumer"),
                {"consumer": self.group},
            )
        return int(found or 0)

    async def inbox_rows_without_effect(self) -> int:
        async with self.engine.connect() as connection:
            found = await connection.scalar(_WITHOUT_EFFECT, {"consumer": self.group})
        return int(found or 0)

    async def effects_without_inbox_row(self) -> int:
        """Effects a re-delivery would apply again."""
        async with self.engine.connect() as connection:
            found = await connection.scalar(_WITHOUT_INBOX_ROW, {"consumer": self.group})
        return int(found or 0)

    async def in_inbox(self, event_id: uuid.UUID) -> bool:
        async with self.engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT count(*) FROM inbox WHERE consumer = :consumer AND event_id = :id"),
                {"consumer": self.group, "id": event_id},
            )
        return bool(found)

    def count(self, outcome: str) -> float:
        return float(MESSAGES.labels(self.group, outcome)._value.get())

    def handled(self) -> float:
        """Messages applied, skipped as duplicates or dead-lettered."""
        return sum(self.count(outcome) for outcome in ("processed", "duplicate", "dead_lettered"))


@asynccontextmanager
async def platform(
    database_url: str, bootstrap: str, partitions: int = 1
) -> AsyncIterator[Platform]:
    name = await fresh_delivery_database(database_url)
    settings = settings_for(database_url, bootstrap, name)
    topic = f"test.batchwork.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, partitions, [topic])
    await ensure_topics(bootstrap, 1, [settings.topic(Topic.DEAD_LETTERS)])
    engine = make_engine(settings)
    await create_effects_table(engine)
    try:
        yield Platform(engine, settings, topic, f"group-{uuid.uuid4().hex[:8]}")
    finally:
        await engine.dispose()
        await drop_database(database_url, name)


@asynccontextmanager
async def consuming(p: Platform, handler: Handler) -> AsyncIterator[ConsumerLoop]:
    stop = asyncio.Event()
    loop = ConsumerLoop(p.group, [p.topic], handler, make_sessionmaker(p.engine), p.settings)
    task = asyncio.create_task(loop.run(stop))
    try:
        yield loop
    finally:
        stop.set()
        await task


async def produce(bootstrap: str, topic: str, events: Sequence[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        sent = [
            await producer.send(topic, event.to_bytes(), key=str(event.data["key"]).encode())
            for event in events
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def event(key: str, seq: int, kind: str = "direct") -> Envelope:
    return new_event("test.gathered.v1", "tests", {"key": key, "seq": seq, "kind": kind})


async def write_effects(session: AsyncSession, events: list[Envelope]) -> None:
    if events:
        await session.execute(
            _WRITE_EFFECTS,
            {
                "ids": [str(e.id) for e in events],
                "keys": [str(e.data["key"]) for e in events],
                "seqs": [int(e.data["seq"]) for e in events],
            },
        )


def effects(context: MessageContext) -> list[Envelope]:
    """The batch's effects, written in one statement before it commits."""
    session = context.session

    async def flush(events: list[Envelope]) -> None:
        await write_effects(session, events)

    return gathered_for_commit(context, "effects", flush)


async def test_work_a_flush_hands_on_to_another_gathering_is_written_before_the_commit(
    database_url: str, bootstrap: str
) -> None:
    """A flush that gathers more work for the batch (here: events handed on to the effects'
    gathering, whose flush ran earlier in the walk) must still see that work written in the
    batch's transaction, or the inbox rows commit without those effects."""

    def handed_on(context: MessageContext) -> list[Envelope]:
        async def flush(events: list[Envelope]) -> None:
            effects(context).extend(events)

        return gathered_for_commit(context, "handed-on", flush)

    async def handler(envelope: Envelope, context: MessageContext) -> None:
        if envelope.data["kind"] == "handed-on":
            handed_on(context).append(envelope)
        else:
            effects(context).append(envelope)

    async with platform(database_url, bootstrap) as p:
        events = [event("k", seq, "direct" if seq % 2 == 0 else "handed-on") for seq in range(20)]
        await produce(bootstrap, p.topic, events)
        async with consuming(p, handler):
            await wait_for(lambda: p.count("processed") >= len(events), timeout_s=60)
        assert await p.inbox_rows() == len(events)
        assert await p.inbox_rows_without_effect() == 0
        assert await count_effects(p.engine) == (len(events), len(events))


async def test_a_handler_cannot_commit_the_batch_before_its_gathered_work(
    database_url: str, bootstrap: str
) -> None:
    """A handler committing the session would commit the inbox rows of the whole batch before
    the work gathered for it; a flush failing afterwards then loses that work for good. The
    commit is refused: the message fails (and is dead-lettered), the others are applied."""
    failures = {"left": 1}

    def flaky_effects(context: MessageContext) -> list[Envelope]:
        session = context.session

        async def flush(events: list[Envelope]) -> None:
            if failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("the batch's write failed once")
            await write_effects(session, events)

        return gathered_for_commit(context, "effects", flush)

    async def handler(envelope: Envelope, context: MessageContext) -> None:
        if envelope.data["kind"] == "commits":
            await context.session.commit()
        flaky_effects(context).append(envelope)

    async with platform(database_url, bootstrap) as p:
        committing = event("k", 1, "commits")
        events = [event("k", 0), committing, event("k", 2), event("k", 3)]
        await produce(bootstrap, p.topic, events)
        async with consuming(p, handler):
            await wait_for(lambda: p.handled() >= len(events), timeout_s=60)
        assert await p.inbox_rows_without_effect() == 0
        assert not await p.in_inbox(committing.id)
        assert p.count("dead_lettered") == 1
        assert await count_effects(p.engine) == (3, 3)


async def test_a_handler_cannot_roll_the_batch_back_under_its_inbox_claim(
    database_url: str, bootstrap: str
) -> None:
    """A handler rolling the session back drops the batch's inbox claim; the work gathered
    would then commit in a new transaction without inbox rows, to be applied again when
    re-delivered. The loop refuses to commit a transaction other than the one that claimed."""

    async def handler(envelope: Envelope, context: MessageContext) -> None:
        if envelope.data["kind"] == "rolls-back":
            await context.session.rollback()
        effects(context).append(envelope)

    async with platform(database_url, bootstrap) as p:
        rolling_back = event("k", 1, "rolls-back")
        events = [event("k", 0), rolling_back, event("k", 2)]
        await produce(bootstrap, p.topic, events)
        async with consuming(p, handler):
            await wait_for(lambda: p.handled() >= len(events), timeout_s=60)
        assert await p.inbox_rows_without_effect() == 0
        assert await p.effects_without_inbox_row() == 0
        assert not await p.in_inbox(rolling_back.id)
        assert p.count("dead_lettered") == 1
        assert await count_effects(p.engine) == (2, 2)


async def test_batches_retried_in_smaller_pieces_write_each_message_gathered_work_once(
    database_url: str, bootstrap: str
) -> None:
    """A poll over three partitions whose transaction fails, then partitions' batches that
    fail, then messages alone; with a duplicate in the batch and a message dead-lettered:
    every inbox row has its effect, written once, and the dead letter has no inbox row."""
    flaky = event("k1", 100, "flaky")
    poison = event("k2", 200, "poison")
    failures = {"left": 2}

    async def handler(envelope: Envelope, context: MessageContext) -> None:
        kind = envelope.data["kind"]
        if kind == "flaky" and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("fails in the poll's and the partition's transaction")
        if kind == "poison":
            raise RuntimeError("fails every time")
        effects(context).append(envelope)

    async with platform(database_url, bootstrap, partitions=3) as p:
        regular = [event(f"k{seq % 6}", seq) for seq in range(30)]
        events = [*regular[:10], flaky, regular[3], *regular[10:20], poison, *regular[20:]]
        await produce(bootstrap, p.topic, events)
        async with consuming(p, handler):
            await wait_for(lambda: p.handled() >= len(events), timeout_s=60)
        assert failures["left"] == 0
        assert await p.inbox_rows() == len(regular) + 1
        assert await p.inbox_rows_without_effect() == 0
        assert await count_effects(p.engine) == (len(regular) + 1, len(regular) + 1)
        assert not await p.in_inbox(poison.id)
        assert p.count("dead_lettered") == 1


async def test_two_instances_whose_batches_deadlock_keep_each_inbox_row_with_its_effect(
    database_url: str, bootstrap: str
) -> None:
    """Two consumers of one group on one database (two feedback instances): each batch's
    flush takes advisory locks on shared keys, one instance in ascending order, the other in
    descending order, so concurrent batches can deadlock and fall back to smaller pieces;
    every message still has its effect once and its inbox row."""
    lock = text("SELECT pg_advisory_xact_lock(:key)")

    def locking_handler(*, descending: bool) -> Handler:
        async def handler(envelope: Envelope, context: MessageContext) -> None:
            session = context.session

            async def flush(events: list[Envelope]) -> None:
                for key in sorted(range(4), reverse=descending):
                    await session.execute(lock, {"key": key})
                await write_effects(session, events)

            gathered_for_commit(context, "locked-effects", flush).append(envelope)

        return handler

    async with platform(database_url, bootstrap, partitions=4) as p:
        events = [event(f"k{seq}", seq) for seq in range(400)]
        async with (
            consuming(p, locking_handler(descending=False)) as first,
            consuming(p, locking_handler(descending=True)) as second,
        ):
            await wait_for(lambda: first.assigned.is_set() and second.assigned.is_set())
            for start in range(0, len(events), 20):  # batches of both overlap: they deadlock
                await produce(bootstrap, p.topic, events[start : start + 20])

            async def all_in() -> bool:
                return await p.inbox_rows() >= len(events)

            await wait_for(all_in, timeout_s=120)
        assert await p.inbox_rows() == len(events)
        assert await p.inbox_rows_without_effect() == 0
        assert await p.effects_without_inbox_row() == 0
        assert await count_effects(p.engine) == (len(events), len(events))
        assert p.count("dead_lettered") == 0
