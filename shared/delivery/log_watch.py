"""Noticing that the broker lost a partition's log (a memory-only broker restarted, storage wiped).

Offsets alone cannot tell. A consumer whose position is past the new log's end is caught by the
consumer loop's lag check, but one that was paused across the loss may find the new log already
longer than its old position and read on from there, skipping the new log's start for good.

So each consumer loop remembers, per partition, one record it processed (its offset and a
checksum of its value: every event has a unique id, so two logs never hold the same bytes at one
offset) and every `CONSUMER_LOG_CHECK_INTERVAL_S` reads that offset again with a consumer of no
group. A different record there, or a log that now ends before it, means the log was replaced:
the loop re-reads that partition from its start, and the inbox skips what was already applied.
The check may come late (records of the new log may have been processed meanwhile): it still
comes, and re-reading from the start recovers what was skipped. When the record is the same, the
anchor moves on to the last record processed, so it never ages out of the log's retention.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError, OffsetOutOfRangeError

from shared.kafka import make_reader
from shared.settings import ServiceSettings

READ_TIMEOUT_S = 3.0
"""How long one check waits for the anchored records; what did not arrive is checked next time."""
READ_MAX_BYTES = 64 * 1024
"""Per partition and check: one record is wanted, not the default megabyte of records after it
(decoding those took 7 % of feedback's CPU under load). The broker still returns a first record
batch larger than this whole."""


@dataclass(frozen=True)
class Anchor:
    offset: int
    checksum: int

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> Anchor:
        return cls(record.offset, zlib.crc32(record.value or b""))


@dataclass
class LogWatch:
    settings: ServiceSettings
    _anchors: dict[TopicPartition, Anchor] = field(default_factory=dict)
    _latest: dict[TopicPartition, Anchor] = field(default_factory=dict)
    _next_check: float = 0.0
    _reader: AIOKafkaConsumer | None = None
    """a consumer of no group, kept between checks (started at the first one)"""

    def processed(self, partition: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> None:
        """`record` (the last of a batch) was applied: the anchor candidate for `partition`."""
        latest = self._latest[partition] = Anchor.of(record)
        self._anchors.setdefault(partition, latest)

    def forget(self, partition: TopicPartition) -> None:
        """The partition is read again from its start: anchor it anew."""
        self._anchors.pop(partition, None)
        self._latest.pop(partition, None)

    def due(self) -> bool:
        return bool(self._anchors) and time.monotonic() >= self._next_check

    async def replaced(self) -> list[TopicPartition]:
        """The partitions whose anchored record is gone or different; moves the others' anchors
        to the last record processed."""
        self._next_check = time.monotonic() + self.settings.consumer_log_check_interval_s
        anchors = dict(self._anchors)
        try:
            found, out_of_range, highwater = await self._read(anchors)
        except KafkaError:
            await self.close()  # the broker is not there now: checked again next time
            return []
        replaced = []
        for partition, anchor in anchors.items():
            record = found.get(partition)
            if record is not None:
                intact = Anchor.of(record) == anchor
            elif partition in out_of_range:
                intact = False
            else:
                end = highwater.get(partition)
                if end is None or end > anchor.offset:
                    continue  # not read this time: checked again next time
                intact = False
            if intact:
                latest = self._latest.get(partition)
                self._anchors[partition] = latest if latest is not None else anchor
            else:
                replaced.append(partition)
                self.forget(partition)
        return replaced

    async def _read(
        self, anchors: dict[TopicPartition, Anchor]
    ) -> tuple[
        dict[TopicPartition, ConsumerRecord[bytes, bytes]],
        set[TopicPartition],
        dict[TopicPartition, int | None],
    ]:
        reader = await self._started_reader()
        found: dict[TopicPartition, ConsumerRecord[bytes, bytes]] = {}
        out_of_range: set[TopicPartition] = set()
        reader.assign(list(anchors))  # a new assignment: no position, pause or highwater kept
        for partition, anchor in anchors.items():
            reader.seek(partition, anchor.offset)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while time.monotonic() < deadline:
            waiting = [p for p in anchors if p not in found and p not in out_of_range]
            if not waiting:
                break
            try:
                batches = await reader.getmany(*waiting, timeout_ms=200)
            except OffsetOutOfRangeError as error:
                out_of_range.update(_partitions_of(error))
                continue
            for partition, records in batches.items():
                found.setdefault(partition, records[0])
                reader.pause(partition)
        return found, out_of_range, {p: reader.highwater(p) for p in anchors}

    async def _started_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            reader = make_reader(
                self.settings,
                "log-watch",
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
        """Stop the reader (the consumer loop ends, or the broker went away)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.stop()


def _partitions_of(error: OffsetOutOfRangeError) -> set[TopicPartition]:
    offsets = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return {partition for partition in offsets if isinstance(partition, TopicPartition)}
