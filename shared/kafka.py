"""Kafka clients configured the same way everywhere, and topic creation.

Kafka's idempotent and transactional producers are not used: correctness comes from the outbox,
the inbox and designation versions.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Sequence
from functools import lru_cache

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.partitioner import murmur2
from aiokafka.protocol.metadata import MetadataRequest

from shared.settings import ServiceSettings
from shared.topics import ALL_TOPICS

log = logging.getLogger(__name__)


_hash_of_key = lru_cache(maxsize=16_384)(murmur2)


class KeyHashCachingPartitioner:
    """aiokafka's `DefaultPartitioner` (the Java client's murmur2 mapping), remembering the
    hash of the keys it saw: murmur2 is pure Python, and a relay sends runs of events with one
    key (a designation's ten or more receipts)."""

    def __call__(
        self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
    ) -> int:
        if key is None:
            return random.choice(available or all_partitions)
        return all_partitions[(int(_hash_of_key(key)) & 0x7FFFFFFF) % len(all_partitions)]


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        partitioner=KeyHashCachingPartitioner(),
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        retry_backoff_ms=100,
    )


def make_consumer(
    settings: ServiceSettings,
    group_id: str,
    topics: Iterable[str],
    assignors: Sequence[type[AbstractPartitionAssignor]] = (RoundRobinPartitionAssignor,),
) -> AIOKafkaConsumer:
    """`assignors`: the group's partition assignment strategies, preferred first."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-{group_id}",
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        rebalance_timeout_ms=settings.kafka_rebalance_timeout_ms,
        request_timeout_ms=max(
            settings.kafka_request_timeout_ms, settings.kafka_session_timeout_ms + 1000
        ),
        max_poll_interval_ms=300_000,
        fetch_max_wait_ms=100,
        metadata_max_age_ms=5_000,
        partition_assignment_strategy=tuple(assignors),
    )


class TopicCreator:
    """Creates missing topics through one long-lived admin connection."""

    def __init__(self, bootstrap_servers: str, partitions: int) -> None:
        self.partitions = partitions
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000
        )

    async def start(self, timeout_s: float = 15.0) -> None:
        await asyncio.wait_for(self._admin.start(), timeout_s)

    async def close(self) -> None:
        await self._admin.close()

    async def ensure(self, topics: Iterable[str]) -> list[str]:
        """Create the topics that do not exist yet; returns those created."""
        wanted = list(dict.fromkeys(topics))
        if not wanted:
            return []
        existing = await self._existing(wanted)
        created: list[str] = []
        for topic in wanted:
            if topic in existing:
                continue
            try:
                await self._admin.create_topics(
                    [NewTopic(topic, num_partitions=self.partitions, replication_factor=1)]
                )
                created.append(topic)
            except TopicAlreadyExistsError:
                pass
        return created

    async def _existing(self, topics: list[str]) -> set[str]:
        """Which of `topics` the broker holds, asking about those alone.

        A metadata request naming the topics (not a listing of every topic: on a broker with
        thousands of topics that costs tens of milliseconds of decoding per call, and the
        relay asks before every batch), with auto-creation off, so that asking never creates
        a topic with the broker's own partition count.
        """
        request = MetadataRequest(topics, allow_auto_topic_creation=False)
        response = await self._admin._send_request(request)  # aiokafka has no public form
        return {
            entry["topic"] for entry in response.to_object()["topics"] if entry["error_code"] == 0
        }


async def ensure_topics(
    bootstrap_servers: str,
    partitions: int,
    topics: Iterable[str] = ALL_TOPICS,
    timeout_s: float = 15.0,
) -> list[str]:
    """Create the topics that do not exist yet; returns those created."""
    creator = TopicCreator(bootstrap_servers, partitions)
    await creator.start(timeout_s)
    try:
        return await creator.ensure(topics)
    finally:
        await creator.close()


async def broker_answers(bootstrap_servers: str, timeout_s: float = 2.0) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2_000)
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
        return True
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()
