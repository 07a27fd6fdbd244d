"""The log watch against the real broker: a record that is still there keeps its anchor, another
record at the anchored offset or a log ending before it means the log was replaced."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.delivery.log_watch import LogWatch
from shared.kafka import ensure_topics
from tests.support.infra import settings_for
from tests.support.kafka import read_until

pytestmark = pytest.mark.integration


async def test_replaced_logs_are_told_from_intact_ones(database_url: str, bootstrap: str) -> None:
    topic = f"test.logwatch.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, 1, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(topic, f"event {n} {uuid.uuid4()}".encode(), partition=0)
    finally:
        await producer.stop()
    records = await read_until(bootstrap, topic, lambda found: len(found) >= 5)
    partition = TopicPartition(topic, 0)
    settings = settings_for(database_url, bootstrap, "unused", consumer_log_check_interval_s=0.01)
    watch = LogWatch(settings)
    try:
        assert not watch.due()

        watch.processed(partition, records[2])
        watch.processed(partition, records[4])
        assert watch.due()
        assert await watch.replaced() == []  # offset 2 holds the same record; the anchor moves to 4

        other: ConsumerRecord[bytes, bytes] = dataclasses.replace(records[4], value=b"another log")
        watch.processed(partition, other)
        assert await watch.replaced() == []  # the anchor (offset 4, the real record) still holds
        assert await watch.replaced() == [partition]  # now anchored on bytes the log does not hold
        assert not watch.due()  # forgotten: anchored anew by the next record processed

        beyond: ConsumerRecord[bytes, bytes] = dataclasses.replace(records[4], offset=9)
        watch.processed(partition, beyond)
        assert await watch.replaced() == [partition]  # the log ends (5) before the anchor (9)
    finally:
        await watch.close()
