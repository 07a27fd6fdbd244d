"""A whole platform instance for a benchmark: its own namespace, the real service processes.

Built from the operator's own pieces (`jointcredit.up.prepare` and `start_services`): fresh
databases migrated, the seed catalogue, demo credentials, then registry, initiator, feedback
and one responder per department as `jointcredit serve <service>` processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console

from bench.processes import cpu_seconds, rss_mb
from jointcredit.demo.client import PlatformClient
from jointcredit.layout import Layout
from jointcredit.platform import Platform, RunningService
from jointcredit.up import prepare, service_urls, start_services
from shared.catalogue import Catalogue
from shared.persistence.database import drop_database
from shared.settings import ServiceSettings

RESPONDERS = ("court", "market", "finance")


@dataclass
class BenchPlatform:
    layout: Layout
    platform: Platform
    client: PlatformClient
    urls: dict[str, str]
    settings: dict[str, ServiceSettings] = field(default_factory=dict)

    def service(self, label: str) -> RunningService:
        return next(s for s in self.platform.services if s.label == label)

    def url(self, label: str) -> str:
        return self.urls[label]

    def port(self, label: str) -> int:
        return self.service(label).port

    def catalogue(self) -> Catalogue:
        document = self.client.call("GET", f"{self.url('registry')}/v1/catalogue")
        return Catalogue.from_document(document, int(document["version"]))

    def database_url(self, label: str) -> str:
        return self.settings[label].plain_database_url

    async def fetch(self, label: str, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database_url(label))
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()

    async def fetchval(self, label: str, query: str, *args: Any) -> Any:
        connection = await asyncpg.connect(self.database_url(label))
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    def pids(self) -> dict[str, int]:
        """The services still running, by label."""
        return {s.label: s.process.pid for s in self.platform.services if s.process.poll() is None}

    def rss(self) -> dict[str, float]:
        return {label: round(rss_mb(pid), 1) for label, pid in self.pids().items()}


def _infrastructure_pids() -> dict[str, list[int]]:
    """PostgreSQL's processes (every database: other work on the machine too) and the broker."""
    found: dict[str, list[int]] = {"postgresql (whole server)": [], "broker": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name == "postgres":
            found["postgresql (whole server)"].append(int(entry.name))
        elif name == "tansu":
            found["broker"].append(int(entry.name))
    return found


def _machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


@dataclass
class CpuMeter:
    """CPU seconds used by each platform process, the infrastructure and the machine."""

    bench: BenchPlatform
    started: dict[str, float] = field(default_factory=dict)
    machine: tuple[float, float] = (0.0, 0.0)
    wall: float = 0.0

    def _snapshot(self) -> dict[str, float]:
        values = {}
        for label, pid in self.bench.pids().items():
            with contextlib.suppress(OSError):
                values[label] = cpu_seconds(pid)
        for label, pids in _infrastructure_pids().items():
            total = 0.0
            for pid in pids:
                with contextlib.suppress(OSError, IndexError):
                    total += cpu_seconds(pid)
            values[label] = total
        values["this benchmark process"] = cpu_seconds(os.getpid())
        return values

    def start(self) -> None:
        self.started = self._snapshot()
        self.machine = _machine_busy_seconds()
        self.wall = time.monotonic()

    def stop(self) -> dict[str, Any]:
        now = self._snapshot()
        busy, total = _machine_busy_seconds()
        wall = time.monotonic() - self.wall
        used = {k: round(now[k] - self.started.get(k, 0.0), 1) for k in now}
        return {
            "wall_s": round(wall, 1),
            "cpu_s": used,
            "machine_busy_fraction": round((busy - self.machine[0]) / (total - self.machine[1]), 2),
        }


@contextlib.contextmanager
def running_platform(
    namespace_prefix: str = "bench", responders: tuple[str, ...] = RESPONDERS
) -> Iterator[BenchPlatform]:
    """Prepare and start a platform instance; stop it and drop its databases afterwards."""
    console = Console(stderr=True)
    layout = Layout(namespace=f"{namespace_prefix}{uuid.uuid4().hex[:6]}", responders=responders)
    prepared = prepare(layout, console)
    platform = Platform()
    try:
        if not start_services(platform, layout, console):
            raise SystemExit("the platform did not start: see .jointcredit/<service>.log")
        urls = service_urls(platform)
        bench = BenchPlatform(
            layout,
            platform,
            PlatformClient(urls["registry"], prepared.credentials),
            urls,
            dict(layout.all_settings()),
        )
        yield bench
    finally:
        platform.stop()
        asyncio.run(_drop(layout))


async def _drop(layout: Layout) -> None:
    settings = layout.all_settings()
    for _, service_settings in settings:
        await drop_database(service_settings.database_url, service_settings.database_name or "")
    await delete_topics(settings[0][1].kafka_bootstrap_servers, layout.topic_prefix)


async def delete_topics(bootstrap_servers: str, prefix: str) -> None:
    """Delete the topics named with `prefix` (a benchmark's own); report what remains."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5_000)
    try:
        await admin.start()
        for _ in range(3):
            topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
            if not topics:
                break
            await admin.delete_topics(topics)
            await asyncio.sleep(1.0)
        else:
            print(f"topics of {prefix} still listed after deleting: {topics}")
    except Exception as error:  # the broker may not support deleting; the topics are small
        print(f"topics of {prefix} not deleted: {error!r}")
    finally:
        await admin.close()
