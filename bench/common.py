"""What every benchmark shares: settings for the running infra, statistics, repeats and output."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jointcredit.infra import manager
from shared.settings import ServiceSettings

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def infra_settings(**overrides: Any) -> ServiceSettings:
    """Settings for the running infrastructure (started when missing), a private topic prefix."""
    status = manager.up()
    if not (status.database_url and status.kafka_bootstrap_servers):
        raise SystemExit("the database or the broker is not available: jointcredit infra up")
    values: dict[str, Any] = {
        "service_name": "bench",
        "database_url": status.database_url,
        "kafka_bootstrap_servers": status.kafka_bootstrap_servers,
        "topic_prefix": f"bench{uuid.uuid4().hex[:8]}.",
        "topic_partitions": 6,
    }
    values.update(overrides)
    return ServiceSettings.model_validate(values)


async def wait_until(
    done: Callable[[], Awaitable[bool]], interval_s: float = 0.05, timeout_s: float = 600.0
) -> bool:
    """Poll `done` until it answers True or the timeout passes; returns the last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        if await done():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval_s)


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(latencies_s: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies_s, 0.50) * 1000, 2),
        "p90_ms": round(percentile(latencies_s, 0.90) * 1000, 2),
        "p99_ms": round(percentile(latencies_s, 0.99) * 1000, 2),
        "max_ms": round(max(latencies_s) * 1000, 2) if latencies_s else float("nan"),
        "count": len(latencies_s),
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass
class Report:
    """One benchmark's figures; printed as a table and written to bench/results/<name>.json."""

    name: str
    command: str
    figures: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)

    def machine(self) -> dict[str, Any]:
        return {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average": os.getloadavg(),
        }

    def emit(self) -> None:
        print(f"\n== {self.name} ==  ({self.command})")
        for key, value in self.figures.items():
            print(f"  {key:<44} {value}")
        for key, value in self.ratios.items():
            target = self.targets.get(key, "")
            print(f"  ratio {key:<38} {value:.3f}   {target}")
        for note in self.notes:
            print(f"  note: {note}")
        RESULTS_DIR.mkdir(exist_ok=True)
        payload = asdict(self) | {"machine": self.machine()}
        (RESULTS_DIR / f"{self.name}.json").write_text(
            json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
