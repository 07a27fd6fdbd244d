"""The raw broker's produce→consume latency, measured alongside a benchmark (same machine, same
moment): a plain aiokafka producer and consumer, messages of a designation event's size."""

from __future__ import annotations

import asyncio
import struct
import time
import uuid

from bench.common import wait_until
from shared.kafka import TopicCreator, make_consumer, make_producer
from shared.settings import ServiceSettings

_STAMP = struct.Struct("<d")
PAYLOAD_BYTES = 1200


class BrokerProbe:
    def __init__(self, settings: ServiceSettings, topic: str) -> None:
        self.settings = settings
        self.topic = topic
        self.producer = make_producer(settings)
        self.consumer = make_consumer(settings, f"bench-probe-{uuid.uuid4().hex[:8]}", [topic])
        self.latencies: list[float] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        creator = TopicCreator(
            self.settings.kafka_bootstrap_servers, self.settings.topic_partitions
        )
        await creator.start()
        try:
            await creator.ensure([self.topic])
        finally:
            await creator.close()
        await self.producer.start()
        await self.consumer.start()
        self._reader = asyncio.create_task(self._read())

        async def assigned() -> bool:
            return bool(self.consumer.assignment())

        await wait_until(assigned, 0.1, 30.0)

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batches.values():
                self.latencies.extend(now - _STAMP.unpack_from(r.value)[0] for r in records)

    async def run(self, rate: float, seconds: float) -> list[float]:
        """Produce `rate` messages/s for `seconds` (open loop); the latencies seen meanwhile."""
        first = len(self.latencies)
        filler = b"x" * (PAYLOAD_BYTES - _STAMP.size)
        tick = 0.01
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < seconds:
            due = int((time.monotonic() - started) * rate)
            while sent < due:
                await self.producer.send(
                    self.topic, _STAMP.pack(time.time()) + filler, key=str(sent % 64).encode()
                )
                sent += 1
            await asyncio.sleep(tick)
        await self.producer.flush()

        async def all_read() -> bool:
            return len(self.latencies) - first >= sent

        await wait_until(all_read, 0.05, 10.0)
        return self.latencies[first:]

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.producer.stop()
        await self.consumer.stop()
