"""Kafka clients configured the same way everywhere, and topic creation.

Kafka's idempotent and transactional producers are not used: correctness comes from the outbox,
the inbox and designation versions.

No client made here lets the broker create a topic: aiokafka asks metadata with auto-creation
allowed, and a broker that lost its log (tansu auto-creates with 4 partitions) would then choose
the partitioning. Topics are created by `TopicCreator`, with the configured partition count.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient, ConnectionGroup
from aiokafka.cluster import ClusterMetadata
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.partitioner import murmur2
from aiokafka.protocol.metadata import MetadataRequest

from shared.settings import ServiceSettings
from shared.topics import ALL_TOPICS

log = logging.getLogger(__name__)


_hash_of_key = lru_cache(maxsize=16_384)(murmur2)


class _ClientNeverCreatingTopics(AIOKafkaClient):  # type: ignore[misc]
    """aiokafka's client asking metadata with `allow_auto_topic_creation` off (aiokafka 0.14
    has no option for it: its `_metadata_update`, with that one flag changed)."""

    async def _metadata_update(self, cluster_metadata: ClusterMetadata, topics: Any) -> bool:
        request = MetadataRequest(list(topics) if topics else None, allow_auto_topic_creation=False)
        bootstrap_id = ("bootstrap", ConnectionGroup.DEFAULT)
        nodeids: list[Any] = [broker.nodeId for broker in self.cluster.brokers()]
        if bootstrap_id in self._conns:
            nodeids.append("bootstrap")
        random.shuffle(nodeids)
        for node_id in nodeids:
            conn = await self._get_conn(node_id)
            if conn is None:
                continue
            try:
                metadata = await conn.send(request)
            except (KafkaError, TimeoutError) as error:
                log.debug("metadata request failed", extra={"node": node_id, "error": repr(error)})
                continue
            if not metadata.brokers:
                return False
            cluster_metadata.update_metadata(metadata)
            if bootstrap_id in self._conns and len(self.cluster.brokers()):
                self._conns.pop(bootstrap_id).close()
            return True
        cluster_metadata.failed_update(None)
        return False


def never_create_topics(client: AIOKafkaClient) -> None:
    """Make an aiokafka client (a producer's `client`, a consumer's or admin's `_client`) ask
    metadata without letting the broker create the topics it names."""
    client.__class__ = _ClientNeverCreatingTopics


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
    """A producer that refreshes metadata every 5 s (a topic recreated with another partition
    count is partitioned by the new count soon) and never lets the broker create a topic."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        partitioner=KeyHashCachingPartitioner(),
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        retry_backoff_ms=100,
        metadata_max_age_ms=5_000,
    )
    never_create_topics(producer.client)
    return producer


def make_consumer(
    settings: ServiceSettings,
    group_id: str,
    topics: Iterable[str],
    assignors: Sequence[type[AbstractPartitionAssignor]] = (RoundRobinPartitionAssignor,),
) -> AIOKafkaConsumer:
    """`assignors`: the group's partition assignment strategies, preferred first."""
    consumer = AIOKafkaConsumer(
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
    never_create_topics(consumer._client)  # a subscription must not create its topics
    return consumer


def make_reader(settings: ServiceSettings, purpose: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer of no group (to `assign` partitions and read them) that never creates topics."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-{purpose}",
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        **options,
    )
    never_create_topics(reader._client)
    return reader


class TopicCreator:
    """Creates missing topics through one long-lived admin connection."""

    def __init__(self, bootstrap_servers: str, partitions: int) -> None:
        self.partitions = partitions
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000
        )
        never_create_topics(self._admin._client)

    async def start(self, timeout_s: float = 15.0) -> None:
        await asyncio.wait_for(self._admin.start(), timeout_s)

    async def close(self) -> None:
        await self._admin.close()

    async def ensure(self, topics: Iterable[str]) -> list[str]:
        """Create the topics that do not exist yet; returns those created."""
        wanted = list(dict.fromkeys(topics))
        if not wanted:
            return []
        return await self._create_missing(wanted, await self.partition_counts(wanted))

    async def ensured_counts(self, topics: Iterable[str]) -> dict[str, int]:
        """Each topic's partition count on the broker now, creating the missing topics first."""
        wanted = list(dict.fromkeys(topics))
        counts = await self.partition_counts(wanted)
        if await self._create_missing(wanted, counts) or len(counts) < len(wanted):
            counts = await self.partition_counts(wanted)
        return counts

    async def _create_missing(self, wanted: list[str], existing: dict[str, int]) -> list[str]:
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

    async def partition_counts(self, topics: Iterable[str]) -> dict[str, int]:
        """The partition count of each of `topics` the broker holds, asking about those alone.

        A metadata request naming the topics (not a listing of every topic: on a broker with
        thousands of topics that costs tens of milliseconds of decoding per call, and the
        relay asks before every batch), with auto-creation off, so that asking never creates
        a topic with the broker's own partition count.
        """
        request = MetadataRequest(list(topics), allow_auto_topic_creation=False)
        response = await self._admin._send_request(request)  # aiokafka has no public form
        return {
            entry["topic"]: len(entry["partitions"])
            for entry in response.to_object()["topics"]
            if entry["error_code"] == 0
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
