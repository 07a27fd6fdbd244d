"""Noticing that the broker lost what this relay published, so that the outbox sends it again.

A broker that loses its log (tansu keeps it in memory: a restart empties it; a topic deleted and
recreated) answers as if nothing happened, and what was published before is simply gone. The
relay remembers, per partition, the last record the broker acknowledged to it (offset and a
checksum of the value) and, per topic, the partition count it sent by. Every check it asks the
broker again: a topic gone or back with another partition count, a log that now ends before the
remembered offset, or another record at that offset (other producers may have refilled the
partition past it) means the broker lost that topic's records. The relay then marks the rows it
still keeps for those topics unsent and sends them again in position order (relay.py).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import OffsetOutOfRangeError

from shared.kafka import make_reader
from shared.settings import ServiceSettings

READ_TIMEOUT_S = 3.0
"""How long one check waits for the remembered records; what did not arrive is checked next time."""
READ_MAX_BYTES = 64 * 1024
"""Per partition and check: one record is wanted, not the default megabyte after it."""


@dataclass(frozen=True)
class Acknowledged:
    """A record the broker acknowledged: where it is and what it holds."""

    offset: int
    checksum: int

    @classmethod
    def of(cls, offset: int, value: bytes) -> Acknowledged:
        return cls(offset, zlib.crc32(value))


@dataclass
class BrokerLossWatch:
    settings: ServiceSettings
    check_every_s: float = 5.0
    _counts: dict[str, int] = field(default_factory=dict)
    """the partition count each topic had when this relay last sent to it"""
    _anchors: dict[TopicPartition, Acknowledged] = field(default_factory=dict)
    """per partition, an acknowledged record not yet found again (kept until a check did)"""
    _latest: dict[TopicPartition, Acknowledged] = field(default_factory=dict)
    _suspect: set[str] = field(default_factory=set)
    """topics whose acknowledgements went backwards, or came with another partition count"""
    _next_check: float = 0.0
    _reader: AIOKafkaConsumer | None = None

    def acknowledged(
        self, topic: str, partitions: int, partition: int, offset: int, value: bytes
    ) -> None:
        """The broker acknowledged `value` at `offset` of `topic`[`partition`], which had
        `partitions` partitions then."""
        known = TopicPartition(topic, partition)
        previous = self._latest.get(known)
        if self._counts.setdefault(topic, partitions) != partitions or (
            previous is not None and offset <= previous.offset
        ):
            self._suspect.add(topic)
        ack = self._latest[known] = Acknowledged.of(offset, value)
        self._anchors.setdefault(known, ack)

    def known_topics(self) -> set[str]:
        return set(self._counts)

    def check_soon(self) -> None:
        self._next_check = 0.0

    def due(self) -> bool:
        return bool(self._suspect) or time.monotonic() >= self._next_check

    def forget(self, topics: set[str]) -> None:
        """These topics' records are sent again: what the broker acknowledged before is moot."""
        for topic in topics:
            self._counts.pop(topic, None)
        self._anchors = {tp: ack for tp, ack in self._anchors.items() if tp.topic not in topics}
        self._latest = {tp: ack for tp, ack in self._latest.items() if tp.topic not in topics}
        self._suspect -= topics

    async def lost_topics(self, counts: dict[str, int]) -> set[str]:
        """The known topics whose records the broker lost, given the partition count of each
        topic on the broker now (a missing topic is absent from `counts`). The anchors of the
        others move on to the last record acknowledged."""
        self._next_check = time.monotonic() + self.check_every_s
        lost = set(self._suspect)
        lost |= {topic for topic, count in self._counts.items() if counts.get(topic) != count}
        anchors = {tp: ack for tp, ack in self._anchors.items() if tp.topic not in lost}
        lost |= {tp.topic for tp in await self._missing(anchors)}
        for partition in anchors:
            if partition.topic not in lost:
                self._anchors[partition] = self._latest[partition]
        return lost

    async def _missing(self, last: dict[TopicPartition, Acknowledged]) -> set[TopicPartition]:
        """The partitions whose acknowledged record is no longer there."""
        if not last:
            return set()
        reader = await self._started_reader()
        reader.assign(list(last))
        for partition, ack in last.items():
            reader.seek(partition, ack.offset)
        found: dict[TopicPartition, int] = {}
        gone: set[TopicPartition] = set()
        deadline = time.monotonic() + READ_TIMEOUT_S
        while time.monotonic() < deadline:
            waiting = [p for p in last if p not in found and p not in gone]
            if not waiting:
                break
            try:
                batches = await reader.getmany(*waiting, timeout_ms=200)
            except OffsetOutOfRangeError as error:
                gone.update(_partitions_of(error))
                continue
            for partition, records in batches.items():
                found[partition] = _checksum_at(records[0], last[partition].offset)
                reader.pause(partition)
        for partition, ack in last.items():
            if partition in found:
                if found[partition] != ack.checksum:
                    gone.add(partition)
            elif partition not in gone:
                end = reader.highwater(partition)
                if end is not None and end <= ack.offset:
                    gone.add(partition)
        return gone

    async def _started_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            reader = make_reader(
                self.settings,
                "relay-loss-watch",
                auto_offset_reset="none",
                fetch_max_wait_ms=100,
                max_partition_fetch_bytes=READ_MAX_BYTES,
                fetch_max_bytes=16 * READ_MAX_BYTES,
            )
            try:
                await reader.start()
            except BaseException:
                await reader.stop()
                raise
            self._reader = reader
        return self._reader

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.stop()


def _checksum_at(record: ConsumerRecord[bytes, bytes], offset: int) -> int:
    """The record's checksum if it sits at `offset`, else -1 (no checksum is negative)."""
    return zlib.crc32(record.value or b"") if record.offset == offset else -1


def _partitions_of(error: OffsetOutOfRangeError) -> set[TopicPartition]:
    offsets = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return {partition for partition in offsets if isinstance(partition, TopicPartition)}
