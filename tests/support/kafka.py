"""Reading topics in tests without a consumer group, polling until a condition holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

Records = list[ConsumerRecord[bytes, bytes]]


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[Records], bool],
    timeout_s: float = 60.0,
) -> Records:
    """Every record of `topic` from the beginning, once `done(records)` holds (or time is up)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: Records = []
    try:
        partitions: set[str] | None = None
        deadline = time.monotonic() + timeout_s
        while partitions is None and time.monotonic() < deadline:
            found = consumer.partitions_for_topic(topic)
            if found:
                partitions = found
            else:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
        if not partitions:
            return records
        assignment = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assignment)
        await consumer.seek_to_beginning(*assignment)
        while time.monotonic() < deadline and not done(records):
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def wait_for(condition: Callable[[], object], timeout_s: float = 30.0) -> None:
    """Poll an async-or-sync condition until truthy; fail with the deadline otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout_s}s")
