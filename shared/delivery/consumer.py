"""The consumer loop: inbox de-duplication, offsets after commit, retries, then dead letters.

A poll's records, every partition and topic of it, are first applied in one transaction and
their offsets committed together afterwards; if that fails, each partition's batch is applied
in a transaction of its own, and if that fails too, every message is retried alone with backoff,
and one that still fails goes to the dead-letter topic with its error, so the partition moves on
and nothing is skipped silently.

A database that cannot be reached (PostgreSQL restarting) is not the message's fault: it never
counts as an attempt and never dead-letters. The partitions of that poll not yet applied are
rewound to their first record and read again a second later (the inbox skips what was applied). A subscribed
topic whose partition count changes (recreated after the broker lost its log) makes the
consumer join its group again, so that no partition is left unread. A partition whose log the
broker replaced (log_watch.py) is read again from its start, and that start committed.

Each transaction is an `Attempt` (attempt.py): the work handlers put off until just before the
commit belongs to it, and it commits only once all of that work ran in the transaction that
claimed the inbox rows, so no inbox row commits without the effects of its message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import failpoints
from shared.connectivity import unreachable
from shared.delivery import inbox
from shared.delivery.attempt import Attempt
from shared.delivery.dead_letters import dead_letter
from shared.delivery.log_watch import LogWatch
from shared.delivery.metrics import LAG, MESSAGES
from shared.events.envelope import Envelope, EnvelopeError
from shared.kafka import make_consumer, make_producer
from shared.settings import ServiceSettings
from shared.stopping import sleep_unless_stopped
from shared.topics import Topic
from shared.tracing import reset_traceparent, set_traceparent

log = logging.getLogger(__name__)


class PermanentError(Exception):
    """An error that retrying cannot fix (an unknown event version, invalid data)."""


class Unreachable(Exception):
    """The consumer's database cannot be reached; the message itself may be fine."""


@dataclass(frozen=True)
class MessageContext:
    """What a handler gets besides the event: the transaction and commit hooks."""

    attempt: Attempt
    record: ConsumerRecord[bytes, bytes]

    @property
    def session(self) -> AsyncSession:
        return self.attempt.session

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (e.g. to update a memory index)."""
        self.attempt.after_commit(callback)

    def before_commit(self, work: Callable[[], Awaitable[None]]) -> None:
        """Await `work` in the transaction once every message of the batch was handled (e.g.
        to write what the batch's handlers gathered in one statement); it may still call
        `after_commit` and register more work. If it fails, the batch rolls back like a
        failing handler."""
        self.attempt.before_commit(work)


Handler = Callable[[Envelope, MessageContext], Awaitable[None]]

T = TypeVar("T")


def gathered_for_commit(
    context: MessageContext, key: str, flush: Callable[[list[T]], Awaitable[None]]
) -> list[T]:
    """The list the handlers of this transaction's messages add to under `key`; on the first
    call of a transaction, `flush` is registered, and before the commit it is handed every
    item added (once each, also items added by other before-commit work). Lets a handler
    write a whole batch in a few statements instead of a few per message."""
    return context.attempt.gathered(key, flush)


@dataclass
class _Message:
    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope


@dataclass
class ConsumerLoop:
    name: str
    topics: Sequence[str]
    handler: Handler
    sessions: async_sessionmaker[AsyncSession]
    settings: ServiceSettings
    consumer_factory: Callable[[ServiceSettings, str, Sequence[str]], AIOKafkaConsumer] = (
        make_consumer
    )
    assigned: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    log_watch: LogWatch = field(init=False)
    _to_rewind: set[TopicPartition] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.log_watch = LogWatch(self.settings)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; reconnects after broker failures."""
        try:
            while not stop.is_set():
                consumer = self.consumer_factory(self.settings, self.name, self.topics)
                producer = make_producer(self.settings)
                try:
                    await consumer.start()
                    await producer.start()
                    await self._consume(consumer, producer, stop)
                except KafkaError as error:
                    log.warning(
                        "consumer reconnecting", extra={"consumer": self.name, "error": repr(error)}
                    )
                    await sleep_unless_stopped(stop, 1.0)
                finally:
                    await _quietly(consumer.stop())
                    await _quietly(producer.stop())
        finally:
            await _quietly(self.log_watch.close())

    async def _consume(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, stop: asyncio.Event
    ) -> None:
        partitions: dict[str, int] = {}
        while not stop.is_set():
            batches = await consumer.getmany(
                timeout_ms=200, max_records=self.settings.consumer_batch_size
            )
            if consumer.assignment():
                self.assigned.set()
                if self._partitions_changed(consumer, partitions):
                    return  # `run` starts a new consumer, which joins with the new partitions
            polled = list(batches.items())
            done: dict[TopicPartition, int] = {}
            try:
                await self._process_poll(polled, producer, done)
            except Unreachable as error:
                for pending, pending_records in polled:
                    if pending not in done:
                        consumer.seek(pending, pending_records[0].offset)
                log.warning(
                    "database unreachable; the records will be read again",
                    extra={"consumer": self.name, "error": repr(error.__cause__)},
                )
                await self._commit(consumer, done)
                await sleep_unless_stopped(stop, 1.0)
            else:
                await self._commit(consumer, done)
            for partition, records in polled:
                if partition in done:
                    self.log_watch.processed(partition, records[-1])
            await self._rewind_replaced_logs(consumer)
            await self._measure_lag(consumer)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except CommitFailedError as error:
            log.warning(
                "offset commit failed; records will be re-read and skipped",
                extra={"consumer": self.name, "error": repr(error)},
            )

    def _partitions_changed(self, consumer: AIOKafkaConsumer, known: dict[str, int]) -> bool:
        """Whether a subscribed topic's partition count changed since the first assignment.

        A topic recreated after the broker lost its log may come back with another count (a
        broker that auto-creates topics uses its own default), and the group does not always
        rebalance onto the new partitions: their records would never be read.
        """
        counts = {topic: len(consumer.partitions_for_topic(topic) or ()) for topic in self.topics}
        if not known:
            known.update(counts)
            return False
        if counts == known or not all(counts.values()):
            return False
        log.warning(
            "partitions of a subscribed topic changed; joining the group again",
            extra={"consumer": self.name, "before": dict(known), "now": counts},
        )
        return True

    async def _process_poll(
        self,
        polled: list[tuple[TopicPartition, list[ConsumerRecord[bytes, bytes]]]],
        producer: AIOKafkaProducer,
        done: dict[TopicPartition, int],
    ) -> None:
        """Apply a poll's records; `done` gets the next offset of each partition applied.

        Every partition of the poll goes in one transaction first: a round of statements and
        one offset commit for the whole poll, however many partitions (and topics) it spans.
        If that fails, each partition's batch is applied alone as before, then each message.
        """
        parsed = [(partition, records, *self._parse(records)) for partition, records in polled]
        if len(parsed) > 1:
            messages = [message for _, _, good, _ in parsed for message in good]
            if len(messages) > 1 and await self._apply_batch(messages):
                for partition, records, _, garbage in parsed:
                    await self._dead_letter_unparsed(garbage, producer)
                    done[partition] = records[-1].offset + 1
                return
        for partition, records, good, garbage in parsed:
            await self._dead_letter_unparsed(garbage, producer)
            await self._process(good, producer)
            done[partition] = records[-1].offset + 1

    @staticmethod
    def _parse(
        records: list[ConsumerRecord[bytes, bytes]],
    ) -> tuple[list[_Message], list[tuple[ConsumerRecord[bytes, bytes], EnvelopeError]]]:
        messages: list[_Message] = []
        unparsed: list[tuple[ConsumerRecord[bytes, bytes], EnvelopeError]] = []
        for record in records:
            try:
                messages.append(_Message(record, Envelope.parse(record.value)))
            except EnvelopeError as error:
                unparsed.append((record, error))
        return messages, unparsed

    async def _dead_letter_unparsed(
        self,
        unparsed: list[tuple[ConsumerRecord[bytes, bytes], EnvelopeError]],
        producer: AIOKafkaProducer,
    ) -> None:
        for record, error in unparsed:
            await dead_letter(
                producer,
                self.name,
                record,
                error,
                attempts=1,
                topic=self.settings.topic(Topic.DEAD_LETTERS),
            )
            MESSAGES.labels(self.name, "dead_lettered").inc()

    async def _process(self, messages: list[_Message], producer: AIOKafkaProducer) -> None:
        """One partition's messages: in one transaction, else one by one."""
        if len(messages) > 1 and await self._apply_batch(messages):
            return
        for message in messages:
            await self._apply_alone(message, producer)

    async def _apply_batch(self, messages: list[_Message]) -> bool:
        """Apply messages in one transaction; False (and nothing applied) when any fails."""
        try:
            await self._apply(messages)
        except Exception as error:
            log.info(
                "batch failed, retrying one by one",
                extra={"consumer": self.name, "error": repr(error)},
            )
            return False
        return True

    async def _apply(self, messages: list[_Message]) -> None:
        duplicates = 0
        async with self.sessions() as session:
            attempt = await Attempt.begin(session)
            new_ids = await inbox.claim(
                session, self.name, [(m.envelope.id, m.envelope.type) for m in messages]
            )
            for message in messages:
                if message.envelope.id not in new_ids:
                    duplicates += 1
                    continue
                new_ids.discard(message.envelope.id)
                token = set_traceparent(message.envelope.traceparent)
                try:
                    await self.handler(message.envelope, MessageContext(attempt, message.record))
                finally:
                    reset_traceparent(token)
            callbacks = await attempt.commit()
        failpoints.reach("consumer.after_db_commit")
        for callback in callbacks:
            callback()
        MESSAGES.labels(self.name, "processed").inc(len(messages) - duplicates)
        MESSAGES.labels(self.name, "duplicate").inc(duplicates)

    async def _apply_alone(self, message: _Message, producer: AIOKafkaProducer) -> None:
        attempts = self.settings.consumer_max_attempts
        delay = self.settings.consumer_backoff_initial_s
        for attempt in range(1, attempts + 1):
            try:
                await self._apply([message])
                return
            except PermanentError as error:
                await self._give_up(producer, message, error, attempt)
                return
            except Exception as error:
                if unreachable(error):
                    raise Unreachable(str(error)) from error
                MESSAGES.labels(self.name, "failed").inc()
                if attempt == attempts:
                    await self._give_up(producer, message, error, attempt)
                    return
                log.warning(
                    "handler failed, retrying",
                    extra={
                        "consumer": self.name,
                        "event_id": str(message.envelope.id),
                        "attempt": attempt,
                        "error": repr(error),
                    },
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.consumer_backoff_max_s)

    async def _give_up(
        self, producer: AIOKafkaProducer, message: _Message, error: Exception, attempts: int
    ) -> None:
        await dead_letter(
            producer,
            self.name,
            message.record,
            error,
            attempts,
            topic=self.settings.topic(Topic.DEAD_LETTERS),
        )
        MESSAGES.labels(self.name, "dead_lettered").inc()

    async def _rewind_replaced_logs(self, consumer: AIOKafkaConsumer) -> None:
        """Re-read from the start the partitions whose log the broker replaced (log_watch.py).

        The start is committed for the group too, so that joining the group again (which the
        same broker loss usually causes) resumes there and not at an offset committed since.
        A partition not assigned at the moment, or whose commit fails, is tried again on the
        next poll."""
        if self.log_watch.due():
            self._to_rewind.update(await self.log_watch.replaced())
        for partition in sorted(self._to_rewind & consumer.assignment()):
            start = (await consumer.beginning_offsets([partition]))[partition]
            try:
                await consumer.commit({partition: start})
            except CommitFailedError:
                continue
            consumer.seek(partition, start)
            self._to_rewind.discard(partition)
            log.warning(
                "the broker no longer holds the log this consumer read; re-reading the partition",
                extra={
                    "consumer": self.name,
                    "topic": partition.topic,
                    "partition": partition.partition,
                    "from": start,
                },
            )

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Export lag; rewind a partition whose log now ends before our position.

        That happens only when the broker lost its log (a restart of a memory-only broker or a
        recreated topic): the events written since are below our position and would be missed.
        Re-reading from the start is safe, because the inbox skips what was already applied.
        """
        for partition in consumer.assignment():
            highwater = consumer.highwater(partition)
            if highwater is None:
                continue
            try:
                # position() waits for as long as the partition has no valid position (an
                # offset reset the broker does not answer yet): never let it hold the loop
                position = await asyncio.wait_for(consumer.position(partition), timeout=1.0)
            except TimeoutError:
                continue
            if position > highwater:
                log.warning(
                    "partition log is behind our position; re-reading it from the start",
                    extra={
                        "consumer": self.name,
                        "topic": partition.topic,
                        "partition": partition.partition,
                        "position": position,
                        "highwater": highwater,
                    },
                )
                self._to_rewind.add(partition)
                self.log_watch.forget(partition)
                continue
            LAG.labels(self.name, partition.topic, str(partition.partition)).set(
                highwater - position
            )


async def _quietly(awaitable: Awaitable[object]) -> None:
    try:
        await awaitable
    except Exception as error:  # shutting down: report, never raise over the real error
        log.debug("ignored error while stopping", extra={"error": repr(error)})
