"""Two replicas of one department's responder: how stale the second one's index is, and what
a second replica adds to check throughput, measured in the same run.

    .venv/bin/python -m bench.replicas [--designations 100000] [--rate 160] [--seconds 15]
        [--repeats 2] [--saturation-seconds 8]

1. A fresh court responder database (namespace `bench<hex>`) filled by COPY with
   `--designations` in force (as `bench.check` does), and two responder processes on it
   (`jointcredit serve responder`, the same environment: two pods of one deployment).
2. Staleness: designation events for new subjects are produced to the designations topic at
   `--rate` per second for `--seconds`; the consumer group shares them out, each replica applies
   its share and every replica follows the change feed. Each replica's histogram
   `jointcredit_responder_index_staleness_seconds{origin}` times every change from its commit
   (on either replica) to its being answered by this replica: `origin=self` (the replica that
   committed it, the baseline) and `origin=other` (the one that did not). At the end every new
   subject must be answered in force by both replicas.
3. Check throughput, closed loop: `/healthz` of one replica (the baseline), checks on one
   replica, then checks on both at once (one load generator per replica, summed).

On the 2 shared cores the two replicas, the load generators and PostgreSQL compete for the
same CPU: the second replica is there for availability, not to double throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families

from bench.check import (
    DEPARTMENT,
    check_paths,
    designation_state,
    fill_responder,
    measure,
    prepare_database,
    responder_env,
    wait_index,
)
from bench.common import Report, infra_settings, median
from bench.platform import delete_topics
from bench.processes import BenchAuthority, BenchProcess, serve
from jointcredit.layout import Layout
from jointcredit.registry_commands import SEED_FILE
from shared.auth.principal import Role
from shared.catalogue import Catalogue
from shared.events.envelope import new_event
from shared.kafka import ensure_topics, make_producer
from shared.persistence.database import drop_database
from shared.settings import ServiceSettings
from shared.topics import Topic

STALENESS = "jointcredit_responder_index_staleness_seconds"
FIRST_NEW_SERIAL = 50_000_000


def _buckets(text: str) -> dict[str, list[tuple[float, float]]]:
    """Cumulative (upper bound, count) per origin of the staleness histogram."""
    found: dict[str, list[tuple[float, float]]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != STALENESS:
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                found.setdefault(sample.labels["origin"], []).append((bound, sample.value))
    return {origin: sorted(values) for origin, values in found.items()}


def _scrape(replica: BenchProcess) -> dict[str, list[tuple[float, float]]]:
    return _buckets(httpx.get(f"{replica.url}/metrics", timeout=5).text)


def _difference(
    after: dict[str, list[tuple[float, float]]], before: dict[str, list[tuple[float, float]]]
) -> dict[str, list[tuple[float, float]]]:
    result = {}
    for origin, values in after.items():
        earlier = dict(before.get(origin, []))
        result[origin] = [(bound, count - earlier.get(bound, 0.0)) for bound, count in values]
    return result


def _percentile_ms(cumulative: list[tuple[float, float]], fraction: float) -> float | None:
    """Linear interpolation inside the bucket holding the fraction (the histogram's own
    resolution bounds the precision)."""
    total = cumulative[-1][1] if cumulative else 0.0
    if total <= 0:
        return None
    wanted = total * fraction
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in cumulative:
        if count >= wanted:
            if bound == float("inf"):
                return round(lower_bound * 1000, 1)
            share = (wanted - lower_count) / max(count - lower_count, 1e-9)
            return round((lower_bound + share * (bound - lower_bound)) * 1000, 1)
        lower_bound, lower_count = bound, count
    return None


def _merge(
    parts: list[dict[str, list[tuple[float, float]]]],
) -> dict[str, list[tuple[float, float]]]:
    merged: dict[str, dict[float, float]] = {}
    for part in parts:
        for origin, values in part.items():
            into = merged.setdefault(origin, {})
            for bound, count in values:
                into[bound] = into.get(bound, 0.0) + count
    return {origin: sorted(values.items()) for origin, values in merged.items()}


async def _produce(
    settings: ServiceSettings, rate: float, seconds: float, *, first: int
) -> list[str]:
    """Designation events of new subjects at `rate`/s, keyed as the relay keys them."""
    producer = make_producer(settings)
    await producer.start()
    subjects: list[str] = []
    try:
        total = int(rate * seconds)
        started = time.monotonic()
        for number in range(total):
            state = designation_state(first + number, with_person=False)
            event = new_event(
                "designation.initiated.v1",
                "initiator",
                state.model_dump(mode="json"),
                subject=str(state.id),
            )
            subjects.append(state.subject.id)
            await producer.send(
                settings.topic(Topic.DESIGNATIONS),
                event.to_bytes(),
                key=state.subject.id.encode(),
                headers=event.kafka_headers(),
            )
            due = started + (number + 1) / rate
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
        await producer.flush()
    finally:
        await producer.stop()
    return subjects


def _answered_in_force(replica: BenchProcess, token: str, subjects: list[str]) -> int:
    answered = 0
    for start in range(0, len(subjects), 1000):
        response = httpx.post(
            f"{replica.url}/v1/checks/batch",
            json={"subject_ids": subjects[start : start + 1000]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        response.raise_for_status()
        answered += sum(1 for result in response.json()["results"] if result["in_force"])
    return answered


def _until_answered(replicas: list[BenchProcess], token: str, subjects: list[str]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 120:
        if all(_answered_in_force(r, token, subjects) == len(subjects) for r in replicas):
            return time.monotonic() - started
        time.sleep(0.5)
    counts = [_answered_in_force(r, token, subjects) for r in replicas]
    raise SystemExit(f"replicas answered {counts} of {len(subjects)} new subjects in force")


def run(arguments: argparse.Namespace) -> Report:
    infra = infra_settings()
    layout = Layout(namespace=f"bench{uuid.uuid4().hex[:6]}", responders=(DEPARTMENT,))
    settings = layout.settings("responder", DEPARTMENT)
    catalogue = Catalogue.from_document(orjson.loads(SEED_FILE.read_bytes()), 1)
    authority = BenchAuthority()
    token = authority.token(DEPARTMENT, Role.responder)
    report = Report(
        "replicas",
        f"python -m bench.replicas --designations {arguments.designations} --rate "
        f"{arguments.rate:g} --seconds {arguments.seconds:g} --repeats {arguments.repeats}",
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    health_file, check_file = folder / "healthz.txt", folder / "checks.txt"
    paths, _ = check_paths(arguments.designations, 20_000)
    check_file.write_text("\n".join(paths) + "\n")
    health_file.write_text("/healthz\n")
    replicas: list[BenchProcess] = []
    try:
        asyncio.run(prepare_database(settings, catalogue))
        asyncio.run(ensure_topics(infra.kafka_bootstrap_servers, 6, settings.all_topics))
        asyncio.run(fill_responder(settings, catalogue, arguments.designations))
        env = responder_env(layout, authority)
        started = time.monotonic()
        replicas = [serve(f"responder-{n}", "responder", env) for n in ("a", "b")]
        loaded_s = []
        for replica in replicas:
            wait_index(replica, token)
            loaded_s.append(time.monotonic() - started)
        # a warm-up second, until both replicas answer it: the consumer group has settled
        warm_up = asyncio.run(_produce(settings, arguments.rate, 1.0, first=FIRST_NEW_SERIAL))
        _until_answered(replicas, token, warm_up)
        before = [_scrape(replica) for replica in replicas]
        produced_at = time.monotonic()
        subjects = asyncio.run(
            _produce(settings, arguments.rate, arguments.seconds, first=FIRST_NEW_SERIAL + 10**6)
        )
        produce_s = time.monotonic() - produced_at
        visible_s = _until_answered(replicas, token, subjects)
        after = [_scrape(replica) for replica in replicas]
        staleness = _merge([_difference(a, b) for a, b in zip(after, before, strict=True)])
        stale_ms: dict[str, dict[str, float | None]] = {
            origin: {
                "changes": int(values[-1][1]) if values else 0,
                "p50": _percentile_ms(values, 0.5),
                "p99": _percentile_ms(values, 0.99),
            }
            for origin, values in sorted(staleness.items())
        }

        seconds = arguments.saturation_seconds
        runs: dict[str, list[float]] = {"healthz, one replica": [], "check, one replica": []}
        runs["check, two replicas together"] = []
        for _ in range(arguments.repeats):
            first = replicas[0]
            runs["healthz, one replica"].append(
                measure(first, health_file, token, rate=0, seconds=seconds)["throughput_per_s"]
            )
            runs["check, one replica"].append(
                measure(first, check_file, token, rate=0, seconds=seconds)["throughput_per_s"]
            )
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                both = list(
                    pool.map(
                        lambda r: measure(r, check_file, token, rate=0, seconds=seconds),
                        replicas,
                    )
                )
            runs["check, two replicas together"].append(
                sum(result["throughput_per_s"] for result in both)
            )
        saturation = {name: median(values) for name, values in runs.items()}
        report.figures = {
            "designations in force at start": arguments.designations,
            "started together, each replica ready (index loaded) after, s": [
                round(s, 1) for s in loaded_s
            ],
            "new designations produced": len(subjects),
            "produced at, per second": round(len(subjects) / produce_s, 1),
            "all new subjects answered in force by both replicas, s after the last": round(
                visible_s, 1
            ),
            "staleness commit -> answered, ms (by origin)": stale_ms,
            "saturation, req/s (median)": {k: round(v) for k, v in saturation.items()},
            "saturation runs, req/s": {k: [round(v) for v in vs] for k, vs in runs.items()},
        }
        other_p99 = stale_ms.get("other", {}).get("p99")
        own_p99 = stale_ms.get("self", {}).get("p99")
        if other_p99 and own_p99:
            report.ratios["staleness p99, other replica / committing replica"] = other_p99 / own_p99
        report.ratios["check saturation, two replicas / one"] = (
            saturation["check, two replicas together"] / saturation["check, one replica"]
        )
        report.ratios["check saturation, one replica / healthz"] = (
            saturation["check, one replica"] / saturation["healthz, one replica"]
        )
        report.notes = [
            "staleness is read off histogram buckets (2, 5, 10, 20, 35, 50, 75, 100, 150, 250 "
            "ms ...) with linear interpolation inside a bucket",
            "two replicas, their load generators, PostgreSQL and the broker share 2 cores",
        ]
    finally:
        for replica in replicas:
            replica.stop()
        asyncio.run(drop_database(infra.database_url, settings.database_name or ""))
        asyncio.run(delete_topics(infra.kafka_bootstrap_servers, layout.topic_prefix))
        authority.cleanup()
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return report


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--designations", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=160.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--saturation-seconds", type=float, default=8.0)
    report = run(parser.parse_args(argv))
    report.emit()
    return report


if __name__ == "__main__":
    main()
