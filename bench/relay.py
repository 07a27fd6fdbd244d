"""Outbox relay throughput against a raw aiokafka producer, and relay lag at half capacity.

    .venv/bin/python -m bench.relay [--events 30000] [--repeats 3] [--lag-seconds 20]

Processes sharing the 2 cores: this process (writer, relay, consumer), PostgreSQL, the broker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid
from datetime import datetime

from sqlalchemy import MetaData

from bench.common import Report, infra_settings, median, summary_ms, wait_until
from bench.platform import delete_topics
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.delivery.relay import OutboxRelay
from shared.delivery.tables import add_delivery_tables
from shared.events.envelope import Envelope, new_event
from shared.kafka import TopicCreator, make_consumer, make_producer
from shared.persistence.database import (
    drop_database,
    ensure_database,
    make_engine,
    make_sessionmaker,
)
from shared.settings import ServiceSettings
from shared.topics import Topic

PAYLOAD = {
    "subject": {"kind": "organisation", "id": "91350100M000100Y43", "name": "某某有限公司"},
    "reason": "拒不履行生效法律文书确定的义务" * 4,
    "version": 1,
    "status": "active",
}


def _event(index: int) -> Envelope:
    return new_event("bench.event.v1", "bench", PAYLOAD | {"n": index}, subject=str(index))


async def raw_producer_rate(settings: ServiceSettings, topic: str, count: int) -> float:
    producer = make_producer(settings)
    await producer.start()
    try:
        events = [_event(i) for i in range(count)]
        started = time.perf_counter()
        pending = [
            await producer.send(
                topic, e.to_bytes(), key=str(i % 997).encode(), headers=e.kafka_headers()
            )
            for i, e in enumerate(events)
        ]
        await asyncio.gather(*pending)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def fresh_database(settings: ServiceSettings) -> ServiceSettings:
    name = f"bench_relay_{uuid.uuid4().hex[:10]}"
    await ensure_database(settings.database_url, name)
    scoped = settings.model_copy(update={"database_name": name})
    metadata = MetaData()
    add_delivery_tables(metadata)
    engine = make_engine(scoped)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await engine.dispose()
    return scoped


async def fill_outbox(settings: ServiceSettings, topic: str, count: int) -> None:
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    for start in range(0, count, 1000):
        async with sessions.begin() as session:
            await add_events(
                session,
                [
                    OutgoingEvent(topic, str(i % 997), _event(i))
                    for i in range(start, min(count, start + 1000))
                ],
            )
    await engine.dispose()


async def unsent(settings: ServiceSettings) -> int:
    import asyncpg

    connection = await asyncpg.connect(settings.plain_database_url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
    finally:
        await connection.close()


async def relay_rate(settings: ServiceSettings, topic: str, count: int) -> float:
    scoped = await fresh_database(settings)
    try:
        await fill_outbox(scoped, topic, count)
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(OutboxRelay(scoped).run(stop))

        async def drained() -> bool:
            return await unsent(scoped) == 0

        await wait_until(drained)
        elapsed = time.perf_counter() - started
        stop.set()
        await task
        return count / elapsed
    finally:
        await drop_database(settings.database_url, scoped.database_name or "")


async def relay_lag(
    settings: ServiceSettings, topic: str, rate: float, seconds: float
) -> tuple[list[float], float]:
    """Open loop: `rate` events/s committed on a fixed schedule; lag = consumed - created.

    The relay runs as its own process (`jointcredit relay`), as it can in production; the
    writer and the consumer share this process. Returns the lags and the rate achieved.
    """
    scoped = await fresh_database(settings)
    engine = make_engine(scoped)
    sessions = make_sessionmaker(engine)
    relay = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jointcredit.cli",
        "relay",
        env={
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "DATABASE_NAME": scoped.database_name or "",
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "TOPIC_PARTITIONS": str(settings.topic_partitions),
            "LOG_LEVEL": "WARNING",
        },
    )
    consumer = make_consumer(settings, f"bench-{uuid.uuid4().hex[:6]}", [topic])
    await consumer.start()
    latencies: list[float] = []
    written = 0
    finished = asyncio.Event()

    async def consume() -> None:
        while not (finished.is_set() and len(latencies) >= written):
            batches = await consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batches.values():
                for record in records:
                    created = dict(record.headers)["ce_time"].decode()
                    latencies.append(now - datetime.fromisoformat(created).timestamp())

    reader = asyncio.create_task(consume())
    try:
        await asyncio.sleep(3.0)  # the consumer joins its group before the clock starts
        tick = 0.02
        per_tick = max(1, round(rate * tick))
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            due = started + (written // per_tick) * tick
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with sessions.begin() as session:
                await add_events(
                    session,
                    [
                        OutgoingEvent(topic, str(written + k), _event(written + k))
                        for k in range(per_tick)
                    ],
                )
            written += per_tick
        achieved = written / (time.perf_counter() - started)
        finished.set()
        await asyncio.wait_for(reader, 60)
        return latencies, achieved
    finally:
        reader.cancel()
        relay.send_signal(signal.SIGTERM)
        await asyncio.wait_for(relay.wait(), 20)
        await consumer.stop()
        await engine.dispose()
        await drop_database(settings.database_url, scoped.database_name or "")


async def main(settings: ServiceSettings, events: int, repeats: int, lag_seconds: float) -> None:
    topic = settings.topic(Topic.DESIGNATIONS)
    creator = TopicCreator(settings.kafka_bootstrap_servers, settings.topic_partitions)
    await creator.start()
    await creator.ensure([topic])
    await creator.close()
    raw, relayed = [], []
    for _ in range(repeats):
        raw.append(await raw_producer_rate(settings, topic, events))
        relayed.append(await relay_rate(settings, topic, events))
    raw_rate, relay_capacity = median(raw), median(relayed)
    lag_topic = f"{topic}.lag"
    latencies, achieved = await relay_lag(settings, lag_topic, relay_capacity / 2, lag_seconds)
    report = Report("relay", f"python -m bench.relay --events {events} --repeats {repeats}")
    report.figures = {
        "raw producer events/s (median)": round(raw_rate),
        "relay events/s (median)": round(relay_capacity),
        "raw runs": [round(r) for r in raw],
        "relay runs": [round(r) for r in relayed],
        "lag run: events/s asked, achieved": [round(relay_capacity / 2), round(achieved)],
        f"lag over {lag_seconds:.0f} s": summary_ms(latencies),
    }
    report.ratios = {"relay / raw producer": relay_capacity / raw_rate}
    report.targets = {"relay / raw producer": "target >= 0.25; lag p99 < 1000 ms at half capacity"}
    report.emit()
    await delete_topics(settings.kafka_bootstrap_servers, settings.topic_prefix)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lag-seconds", type=float, default=20.0)
    arguments = parser.parse_args()
    settings = infra_settings(outbox_batch_size=500)
    asyncio.run(main(settings, arguments.events, arguments.repeats, arguments.lag_seconds))
