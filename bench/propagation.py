"""Propagation: designations initiated at a steady rate reach 3 responders, and their receipts
reach feedback; end-to-end latency and sustained rate against the raw broker's latency.

    .venv/bin/python -m bench.propagation [--rates 20,40,80] [--seconds 15] [--repeats 1]
        [--driver rest|import] [--profile DIR]

The whole platform runs as in production, one process per service (`jointcredit serve`):
registry, initiator, feedback and the responders of court, market and finance, each with its
outbox relay in-process, on a namespace of their own (`bench<hex>`: own databases and topics).

Drivers (the initiator's real code paths; what is driven how):
- `rest` (default): `POST /v1/designations` with a court initiator token, open loop at the
  rate asked, from `bench.loadgen` in a process of its own (raw HTTP/1.1 keep-alive).
- `import`: every `--import-tick` seconds a CSV of rate × tick rows is uploaded to
  `POST /v1/imports` (the bulk path: a batch of rows per transaction).

Every designation is a `dishonest_judgment_debtors` black-list organisation (one in five with
a legal representative), so it is owed by all three responders. Latency of a designation:
from the moment it was due (REST: its open-loop slot; import: its file's upload) to the
moment feedback stored the last of its receipts from the three departments (`receipts.
stored_at`, the start of feedback's transaction). Stages: the initiator's `created_at`, each
responder's `recorded_at`. Meanwhile `bench.broker_probe` produces the same number of
messages/s of a designation event's size to a topic of its own and measures produce→consume
latency: the raw broker under the same load.

Processes sharing the 2 cores: 6 service processes, PostgreSQL, the broker, the load
generator, this process (probe, progress polling) — and other work on the shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.broker_probe import BrokerProbe
from bench.common import Report, median, summary_ms
from bench.platform import RESPONDERS, BenchPlatform, CpuMeter, running_platform
from bench.processes import loadgen
from services.responder.domain.held import held_version
from services.responder.domain.receipts import receipts_for
from shared.catalogue import Catalogue
from shared.events.designations import DesignationState
from shared.identifiers import make_credit_code, make_resident_id

MEMORANDUM = "dishonest_judgment_debtors"
INITIATOR = "court"
PERSON_EVERY = 5


def organisation_id(serial: int) -> str:
    return make_credit_code(str(serial), region="350100")


def person_id(serial: int) -> str:
    birth = date(1960, 1, 1) + timedelta(days=serial % 15_000)
    return make_resident_id(region="350102", birth=birth, sequence=(serial // 15_000) % 1000)


def designation_body(serial: int, today: date) -> dict[str, Any]:
    persons = (
        [{"role": "legal_representative", "id": person_id(serial), "name": f"林某{serial}"}]
        if serial % PERSON_EVERY == 0
        else []
    )
    return {
        "subject": {
            "kind": "organisation",
            "id": organisation_id(serial),
            "name": f"福州基准测试有限公司{serial}",
        },
        "responsible_persons": persons,
        "list_type": "black",
        "memorandum_code": MEMORANDUM,
        "reason": "有履行能力而拒不履行生效法律文书确定的义务",
        "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
        "document_number": f"(2026)闽01执{serial}号",
        "evidence": ["执行裁定书"],
        "decided_at": datetime.now(UTC).isoformat(),
        "period_start": today.isoformat(),
        "period_end": date(today.year + 2, 1, 1).isoformat(),
    }


def expected_receipts(catalogue: Catalogue, body: dict[str, Any]) -> int:
    """Receipts the three responders send for this designation (their own domain code)."""
    state = DesignationState.model_validate(
        body
        | {"id": uuid.uuid4(), "version": 1, "status": "active"}
        | {"initiating_department": INITIATOR}
    )
    now = datetime.now(UTC)
    total = 0
    for department in RESPONDERS:
        outcomes = catalogue.measures_for(
            department, MEMORANDUM, state.subject, state.responsible_persons
        )
        held = held_version(
            state, outcomes, None, event_id=uuid.uuid4(), event_time=now, recorded_at=now
        )
        total += len(receipts_for(department, held))
    return total


@dataclass
class StepPlan:
    rate: float
    seconds: float
    serials: range
    today: date = field(default_factory=lambda: datetime.now(UTC).date())

    def bodies(self) -> list[dict[str, Any]]:
        return [designation_body(serial, self.today) for serial in self.serials]


class Driver:
    """Initiates a step's designations; returns the due time (epoch) of each subject id."""

    async def drive(self, bench: BenchPlatform, plan: StepPlan) -> dict[str, float]:
        raise NotImplementedError


class RestDriver(Driver):
    def __init__(self, connections: int) -> None:
        self.connections = connections
        self.result: dict[str, Any] = {}

    async def drive(self, bench: BenchPlatform, plan: StepPlan) -> dict[str, float]:
        bodies = plan.bodies()
        token = bench.client.token(INITIATOR)
        self.result = await asyncio.to_thread(
            self._post_all, bench.port("initiator"), bodies, plan.rate, token
        )
        start = float(self.result["start_epoch"])
        return {b["subject"]["id"]: start + i / plan.rate for i, b in enumerate(bodies)}

    def _post_all(
        self, port: int, bodies: list[dict[str, Any]], rate: float, token: str
    ) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench-propagation-") as folder:
            bodies_file = Path(folder) / "bodies.jsonl"
            bodies_file.write_bytes(b"\n".join(orjson.dumps(b) for b in bodies) + b"\n")
            return loadgen(
                port,
                None,
                post_path="/v1/designations",
                bodies_file=bodies_file,
                rate=rate,
                duration=len(bodies) / rate,
                warmup=0.0,
                connections=self.connections,
                headers=[f"Authorization: Bearer {token}"],
            )


def import_row(body: dict[str, Any]) -> list[str]:
    """A designation request body as a row of the initiator's import file (IMPORT_COLUMNS)."""
    person = body["responsible_persons"][0] if body["responsible_persons"] else None
    return [
        "organisation",
        body["subject"]["id"],
        body["subject"]["name"],
        body["reason"],
        body["legal_basis"],
        body["document_number"],
        ";".join(body["evidence"]),
        body["decided_at"],
        body["period_start"],
        body["period_end"],
        person["name"] if person else "",
        person["id"] if person else "",
    ]


IMPORT_COLUMNS = [
    "subject_kind",
    "subject_id",
    "subject_name",
    "reason",
    "legal_basis",
    "document_number",
    "evidence",
    "decided_at",
    "period_start",
    "period_end",
    "legal_representative_name",
    "legal_representative_id",
]


def import_csv(bodies: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(IMPORT_COLUMNS)
    for body in bodies:
        writer.writerow(import_row(body))
    return out.getvalue().encode()


class ImportDriver(Driver):
    def __init__(self, tick_s: float) -> None:
        self.tick_s = tick_s
        self.uploads: list[float] = []

    async def drive(self, bench: BenchPlatform, plan: StepPlan) -> dict[str, float]:
        bodies = plan.bodies()
        per_file = max(1, round(plan.rate * self.tick_s))
        files = [bodies[i : i + per_file] for i in range(0, len(bodies), per_file)]
        due: dict[str, float] = {}
        token = bench.client.token(INITIATOR)
        url = f"{bench.url('initiator')}/v1/imports"
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=60.0) as client:
            for number, rows in enumerate(files):
                await asyncio.sleep(max(0.0, started + number * self.tick_s - time.monotonic()))
                sent_at = time.time()
                answer = await client.post(
                    url,
                    headers={"Authorization": f"Bearer {token}"},
                    files={"file": (f"step-{number}.csv", import_csv(rows), "text/csv")},
                    data={"memorandum_code": MEMORANDUM, "list_type": "black"},
                )
                if answer.status_code != 202:
                    raise RuntimeError(f"import refused: {answer.status_code} {answer.text[:300]}")
                self.uploads.append(time.time() - sent_at)
                due.update({body["subject"]["id"]: sent_at for body in rows})
        return due


async def feedback_receipts(bench: BenchPlatform) -> int:
    return int(await bench.fetchval("feedback", "SELECT count(*) FROM receipts"))


async def wait_for_receipts(
    bench: BenchPlatform, target: int, stall_s: float = 90.0
) -> tuple[int, bool]:
    """Poll feedback until it holds `target` receipts, or nothing moved for `stall_s`."""
    last, moved = -1, time.monotonic()
    while True:
        count = await feedback_receipts(bench)
        if count >= target:
            return count, True
        if count != last:
            last, moved = count, time.monotonic()
        elif time.monotonic() - moved > stall_s:
            return count, False
        await asyncio.sleep(0.5)


def _epoch(value: datetime) -> float:
    return value.timestamp()


async def stage_times(
    bench: BenchPlatform, due: dict[str, float], per_designation: dict[str, int]
) -> dict[str, Any]:
    """Per designation: due → initiator row → each responder's row → feedback's last receipt."""
    rows = await bench.fetch(
        "initiator",
        "SELECT id, subject_id, created_at FROM designations WHERE subject_id = ANY($1)",
        list(due),
    )
    ids = [row["id"] for row in rows]
    by_id = {row["id"]: row for row in rows}
    responders: dict[uuid.UUID, list[float]] = {}
    for department in RESPONDERS:
        for row in await bench.fetch(
            f"responder-{department}",
            "SELECT id, recorded_at FROM designations WHERE id = ANY($1)",
            ids,
        ):
            responders.setdefault(row["id"], []).append(_epoch(row["recorded_at"]))
    receipts = {
        row["designation_id"]: row
        for row in await bench.fetch(
            "feedback",
            "SELECT designation_id, count(*) AS n, max(stored_at) AS last FROM receipts "
            "WHERE designation_id = ANY($1) GROUP BY designation_id",
            ids,
        )
    }
    initiated, responded, end_to_end, completed_at = [], [], [], []
    incomplete = len(due) - len(rows)
    for designation_id, row in by_id.items():
        due_at = due[row["subject_id"]]
        initiated.append(_epoch(row["created_at"]) - due_at)
        seen = responders.get(designation_id, [])
        if len(seen) == len(RESPONDERS):
            responded.append(max(seen) - due_at)
        got = receipts.get(designation_id)
        if got is None or got["n"] < per_designation[row["subject_id"]]:
            incomplete += 1
            continue
        end_to_end.append(_epoch(got["last"]) - due_at)
        completed_at.append(_epoch(got["last"]))
    first_due = min(due.values())
    span = (max(completed_at) - first_due) if completed_at else float("nan")
    return {
        "designations": len(due),
        "incomplete": incomplete,
        "initiator stored (from due)": summary_ms(initiated),
        "all 3 responders stored (from due)": summary_ms(responded),
        "end to end: last receipt at feedback (from due)": summary_ms(end_to_end),
        "sustained designations/s (completed / first due → last completion)": round(
            len(end_to_end) / span, 1
        )
        if completed_at
        else 0.0,
        "_e2e": end_to_end,
    }


async def warm_up(bench: BenchPlatform, catalogue: Catalogue) -> int:
    """A few designations first: consumer groups joined, catalogues and indexes held."""
    plan = StepPlan(rate=10, seconds=2, serials=range(10**7, 10**7 + 20))
    expected = sum(expected_receipts(catalogue, body) for body in plan.bodies())
    await RestDriver(4).drive(bench, plan)
    count, complete = await wait_for_receipts(bench, expected, stall_s=120)
    if not complete:
        raise SystemExit(f"warm-up designations did not reach feedback ({count}/{expected})")
    return count


def start_profilers(
    bench: BenchPlatform, folder: Path, seconds: float
) -> list[subprocess.Popen[bytes]]:
    """py-spy on the initiator, every responder and feedback for `seconds` (raw stacks)."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    profilers = []
    for label, pid in bench.pids().items():
        if label == "registry":
            continue
        profilers.append(
            subprocess.Popen(
                [
                    str(spy),
                    "record",
                    "-p",
                    str(pid),
                    "-d",
                    str(int(seconds)),
                    "-r",
                    "100",
                    "-f",
                    "raw",
                    "-o",
                    str(folder / f"{label}.txt"),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return profilers


async def run_step(
    bench: BenchPlatform,
    driver: Driver,
    probe: BrokerProbe,
    catalogue: Catalogue,
    plan: StepPlan,
    profile: Path | None,
) -> dict[str, Any]:
    bodies = plan.bodies()
    per_designation = {b["subject"]["id"]: expected_receipts(catalogue, b) for b in bodies}
    before = await feedback_receipts(bench)
    target = before + sum(per_designation.values())
    meter = CpuMeter(bench)
    meter.start()
    profilers = start_profilers(bench, profile, plan.seconds) if profile else []
    probe_task = asyncio.create_task(probe.run(plan.rate, plan.seconds))
    due = await driver.drive(bench, plan)
    probe_latencies = await probe_task
    count, complete = await wait_for_receipts(bench, target)
    cpu = meter.stop()
    for profiler in profilers:
        profiler.wait(60)
    stages = await stage_times(bench, due, per_designation)
    e2e = stages.pop("_e2e")
    stages["receipts expected / stored at feedback"] = [target - before, count - before]
    stages["raw broker produce→consume (same rate, same time)"] = summary_ms(probe_latencies)
    stages["cpu"] = cpu
    stages["cpu ms per designation"] = {
        label: round(seconds * 1000 / len(due), 2) for label, seconds in cpu["cpu_s"].items()
    }
    stages["rss_mb"] = bench.rss()
    if isinstance(driver, RestDriver):
        result = driver.result
        stages["REST answers"] = {
            "statuses": result["statuses"],
            "p50_ms": result["p50_ms"],
            "p99_ms": result["p99_ms"],
            "achieved/s": result["throughput_per_s"],
        }
    stages["_e2e"] = e2e
    stages["_broker"] = probe_latencies
    stages["complete"] = complete
    return stages


async def measure(bench: BenchPlatform, arguments: argparse.Namespace) -> dict[str, Any]:
    catalogue = bench.catalogue()
    driver: Driver = (
        ImportDriver(arguments.import_tick)
        if arguments.driver == "import"
        else RestDriver(arguments.connections)
    )
    await warm_up(bench, catalogue)
    settings = bench.settings["initiator"]
    probe = BrokerProbe(settings, f"{bench.layout.topic_prefix}bench.probe")
    await probe.start()
    steps: dict[str, Any] = {}
    serial = 0
    try:
        for rate in arguments.rates:
            for repeat in range(arguments.repeats):
                count = int(rate * arguments.seconds)
                plan = StepPlan(rate, arguments.seconds, range(serial, serial + count))
                serial += count
                profile = None
                if arguments.profile and repeat == arguments.repeats - 1:
                    profile = Path(arguments.profile) / f"{arguments.driver}-{rate:g}"
                print(
                    f"step: {rate:g} designations/s for {arguments.seconds:g} s "
                    f"({arguments.driver}), repeat {repeat + 1}",
                    flush=True,
                )
                step = await run_step(bench, driver, probe, catalogue, plan, profile)
                e2e, broker = (
                    step["end to end: last receipt at feedback (from due)"],
                    step["raw broker produce→consume (same rate, same time)"],
                )
                print(
                    f"  end to end p50 {e2e['p50_ms']} ms p99 {e2e['p99_ms']} ms; broker p99 "
                    f"{broker['p99_ms']} ms; complete {step['complete']}; cpu {step['cpu']}",
                    flush=True,
                )
                steps.setdefault(f"{rate:g}/s", []).append(step)
    finally:
        await probe.stop()
    return steps


def report_of(steps: dict[str, Any], arguments: argparse.Namespace) -> Report:
    report = Report(
        "propagation" if arguments.driver == "rest" else f"propagation-{arguments.driver}",
        f"python -m bench.propagation --driver {arguments.driver} --rates "
        f"{','.join(f'{r:g}' for r in arguments.rates)} --seconds {arguments.seconds:g} "
        f"--repeats {arguments.repeats}"
        + (
            f" --feedback-replicas {arguments.feedback_replicas}"
            if arguments.feedback_replicas > 1
            else ""
        ),
    )
    for rate, runs in steps.items():
        p50 = median([r["end to end: last receipt at feedback (from due)"]["p50_ms"] for r in runs])
        p99 = median([r["end to end: last receipt at feedback (from due)"]["p99_ms"] for r in runs])
        broker_p50 = median(
            [r["raw broker produce→consume (same rate, same time)"]["p50_ms"] for r in runs]
        )
        broker_p99 = median(
            [r["raw broker produce→consume (same rate, same time)"]["p99_ms"] for r in runs]
        )
        sustained = median(
            [r["sustained designations/s (completed / first due → last completion)"] for r in runs]
        )
        report.figures[f"at {rate}"] = {
            "end-to-end p50 / p99 ms (median of repeats)": [p50, p99],
            "raw broker p50 / p99 ms": [broker_p50, broker_p99],
            "sustained designations/s": sustained,
            "runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs],
        }
        report.ratios[f"{rate}: e2e p99 / broker p99"] = (
            p99 / broker_p99 if broker_p99 else float("nan")
        )
        report.ratios[f"{rate}: e2e p99 / 1000 ms"] = p99 / 1000.0
        report.ratios[f"{rate}: sustained / offered"] = sustained / float(rate.removesuffix("/s"))
        report.targets[f"{rate}: e2e p99 / 1000 ms"] = "target <= 1 at 500/s"
    report.notes = [
        f"driver: {arguments.driver}; each designation owed by court, market and finance",
        "processes sharing the 2 cores: registry, initiator, feedback, 3 responders (each with "
        "its outbox relay), PostgreSQL, the broker, the load generator, this process (broker "
        "probe) and other work on the shared machine",
    ]
    return report


def _add_feedback_replicas(bench: BenchPlatform, replicas: int) -> None:
    """Start feedback's further replicas with the first one's environment; wait until ready."""
    feedback = bench.service("feedback")
    for number in range(2, replicas + 1):
        label = f"feedback-{number}"
        bench.urls[label] = bench.platform.start(label, "feedback", feedback.env).url
    ready = bench.platform.wait_ready()
    if not all(ready.values()):
        raise SystemExit(f"not ready: {[label for label, ok in ready.items() if not ok]}")


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rates", type=lambda text: [float(x) for x in text.split(",")], default=[20.0, 40.0, 80.0]
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--driver", choices=["rest", "import"], default="rest")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--import-tick", type=float, default=0.5)
    parser.add_argument(
        "--profile", help="folder for py-spy stacks of the last repeat of each rate"
    )
    parser.add_argument(
        "--feedback-replicas",
        type=int,
        default=1,
        help="feedback processes sharing its consumer group (two pods of one deployment)",
    )
    arguments = parser.parse_args(argv)
    with running_platform() as bench:
        _add_feedback_replicas(bench, arguments.feedback_replicas)
        steps = asyncio.run(measure(bench, arguments))
    report = report_of(steps, arguments)
    report.emit()
    return report


if __name__ == "__main__":
    main()
