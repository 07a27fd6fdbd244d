"""Reading the initiator's answers: a consumer of no group on the digests topic, positioned at
its end before a request is sent, keeping only the answers to that request."""

from __future__ import annotations

import asyncio
import time
import uuid
from types import TracebackType
from typing import Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope, EnvelopeError
from shared.kafka import ensure_topics
from shared.reconciliation.messages import DIGEST_ANSWERED, DigestAnswered
from shared.settings import ServiceSettings
from shared.topics import Topic


class Unanswered(Exception):
    """The initiator's answer did not come in time (it is down, or its relay is behind)."""


class AnswerReader:
    def __init__(self, settings: ServiceSettings, timeout_s: float) -> None:
        self.settings = settings
        self.topic = settings.topic(Topic.DIGESTS)
        self.timeout_s = timeout_s
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.service_name}-digest-answers",
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
            request_timeout_ms=settings.kafka_request_timeout_ms,
        )
        self.partitions: list[TopicPartition] = []

    async def __aenter__(self) -> Self:
        await self._consumer.start()
        try:
            partitions = self.partitions = await self._partitions()
            self._consumer.assign(partitions)
            for partition, end in (await self._consumer.end_offsets(partitions)).items():
                self._consumer.seek(partition, end)
        except BaseException:
            await self._consumer.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._consumer.stop()

    async def _partitions(self) -> list[TopicPartition]:
        """The topic's partitions; a topic missing (a broker that lost its log, before the
        initiator's relay touched it) is created with the configured count, so that neither
        the broker's defaults nor the initiator's first answer decide."""
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            await self._consumer._client.force_metadata_update()
            found = self._consumer.partitions_for_topic(self.topic)
            if found:
                return [TopicPartition(self.topic, p) for p in sorted(found)]
            await ensure_topics(
                self.settings.kafka_bootstrap_servers, self.settings.topic_partitions, [self.topic]
            )
            await asyncio.sleep(0.2)
        raise Unanswered(f"topic {self.topic} has no partitions")

    async def answers(self, request_id: uuid.UUID) -> list[DigestAnswered]:
        """Every part of the answer to `request_id`, in order (Unanswered when time is up)."""
        parts: dict[int, DigestAnswered] = {}
        expected: int | None = None
        key = str(request_id).encode()
        deadline = time.monotonic() + self.timeout_s
        while expected is None or len(parts) < expected:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Unanswered(f"no complete answer to digest request {request_id}")
            batches = await self._consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000))
            for records in batches.values():
                for record in records:
                    answer = _answer(record.value) if record.key == key else None
                    if answer is not None and answer.request_id == request_id:
                        parts[answer.part] = answer
                        expected = answer.parts
        return [parts[part] for part in sorted(parts)]


def _answer(value: bytes | None) -> DigestAnswered | None:
    """The answer in a record; None for anything else."""
    try:
        envelope = Envelope.parse(value or b"")
        if envelope.type != EVENT_TYPE_PREFIX + DIGEST_ANSWERED:
            return None
        return DigestAnswered.model_validate(envelope.data)
    except (EnvelopeError, ValidationError):
        return None
