"""The check API (应查必查) with 1,000,000 designations in force, against `/healthz` and a naive
one-SQL-query-per-check app, all served by uvicorn in the same run.

    .venv/bin/python -m bench.check [--designations 1000000] [--repeats 3]
        [--saturation-seconds 8] [--latency-seconds 15]

1. A fresh responder database (namespace `bench<hex>`) migrated by the responder's own
   migrations, filled by COPY in the responder's table layout: `designations` and
   `measure_targets` rows exactly as the responder's designation handler writes them (the row
   shapes are computed by its domain code, `Catalogue.measures_for` → `held_version`), all
   `dishonest_judgment_debtors` black-list organisations, one in five with a legal
   representative. The consumer path is not used to load: see BENCHMARKS.md for its rate.
2. The responder as production runs it (`jointcredit serve responder`, uvicorn, one process)
   loads its index from that database; its RSS is compared with the same responder on the
   same catalogue with no designation.
3. `bench.naive_check` (uvicorn, one process) answers the same checks with one indexed query.
4. `bench.loadgen` (its own process, raw HTTP/1.1 keep-alive sockets on uvloop) measures, for
   each repeat, the closed-loop saturation of `/healthz` and of the check on both servers, then
   open-loop latency at half of the check's saturation.

Processes sharing the 2 cores: the server under test (one uvicorn process), the load generator,
PostgreSQL (busy only for the naive baseline), the broker (idle), and whatever else the machine
runs at the time (it is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench.common import Report, infra_settings, median
from bench.platform import delete_topics
from bench.processes import BenchAuthority, BenchProcess, loadgen, serve, start, wait_for
from jointcredit.layout import Layout
from jointcredit.registry_commands import SEED_FILE
from jointcredit.service_index import SERVICES
from services.responder.adapters.tables import designations, measure_targets
from services.responder.domain.held import HeldDesignation, held_version
from shared.auth.principal import Role
from shared.catalogue import Catalogue
from shared.events.designations import DesignationState
from shared.identifiers import make_credit_code, make_resident_id
from shared.persistence.database import drop_database
from shared.persistence.migrations import upgrade_to_head
from shared.settings import ServiceSettings

DEPARTMENT = "court"
MEMORANDUM = "dishonest_judgment_debtors"
PERSON_EVERY = 5
UNREACHABLE_REGISTRY = "http://127.0.0.1:9"


def organisation_id(serial: int) -> str:
    return make_credit_code(str(serial))


def person_id(serial: int) -> str:
    """Distinct for serials below 20,000,000."""
    birth = date(1950, 1, 1) + timedelta(days=serial % 20_000)
    return make_resident_id(birth=birth, sequence=(serial // 20_000) % 1000)


def designation_state(serial: int, with_person: bool) -> DesignationState:
    today = datetime.now(UTC).date()
    persons = (
        [{"role": "legal_representative", "id": person_id(serial), "name": f"法人{serial}"}]
        if with_person
        else []
    )
    return DesignationState.model_validate(
        {
            "id": str(uuid.uuid4()),
            "version": 1,
            "status": "active",
            "list_type": "black",
            "memorandum_code": MEMORANDUM,
            "subject": {
                "kind": "organisation",
                "id": organisation_id(serial),
                "name": f"基准测试有限公司{serial}",
            },
            "responsible_persons": persons,
            "reason": "拒不履行生效法律文书确定的义务",
            "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
            "document_number": f"(2026)闽01执{serial}号",
            "decided_at": datetime.now(UTC).isoformat(),
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": date(today.year + 3, 1, 1).isoformat(),
            "initiating_department": "court",
        }
    )


def _held(catalogue: Catalogue, state: DesignationState) -> HeldDesignation:
    """What the responder's designation handler would store for `state`."""
    outcomes = catalogue.measures_for(
        DEPARTMENT, state.memorandum_code, state.subject, state.responsible_persons
    )
    now = datetime.now(UTC)
    return held_version(
        state, outcomes, None, event_id=uuid.uuid4(), event_time=now, recorded_at=now
    )


DESIGNATION_COLUMNS = [column.name for column in designations.columns]
TARGET_COLUMNS = [column.name for column in measure_targets.columns]


class RowMaker:
    """Rows of the responder's tables for designation `serial`, in the handler's shapes."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.templates = {
            with_person: _held(catalogue, designation_state(0, with_person))
            for with_person in (False, True)
        }
        self.id_base = uuid.uuid4().int & ~((1 << 32) - 1)
        self.now = datetime.now(UTC)

    def designation_id(self, serial: int) -> uuid.UUID:
        return uuid.UUID(int=self.id_base | serial)

    def rows(self, serial: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        held = self.templates[serial % PERSON_EVERY == 0]
        designation_id = self.designation_id(serial)
        subject = organisation_id(serial)
        name = f"基准测试有限公司{serial}"
        designation = (
            designation_id,
            1,
            held.status.value,
            held.list_type,
            held.memorandum_code,
            held.subject_kind,
            subject,
            name,
            held.period_start,
            held.period_end,
            held.initiating_department,
            f"(2026)闽01执{serial}号",
            held.decided_at,
            uuid.UUID(int=designation_id.int ^ (1 << 127)),
            self.now,
            self.now,
            orjson.dumps([list(pair) for pair in held.not_applicable]).decode(),
            0,
            self.now,
        )
        targets = []
        for target in held.targets:
            is_subject = target.role == "subject"
            targets.append(
                (
                    designation_id,
                    target.role,
                    subject if is_subject else person_id(serial),
                    target.kind,
                    name if is_subject else f"法人{serial}",
                    list(target.measure_codes),
                    target.state.value,
                    target.cause,
                    1,
                    True,
                )
            )
        return designation, targets


async def fill_responder(settings: ServiceSettings, catalogue: Catalogue, count: int) -> float:
    """COPY `count` designations in force into the responder's tables; returns seconds."""
    maker = RowMaker(catalogue)
    connection = await asyncpg.connect(settings.plain_database_url)
    started = time.perf_counter()
    try:
        chunk = 100_000
        for first in range(0, count, chunk):
            designation_rows: list[tuple[Any, ...]] = []
            target_rows: list[tuple[Any, ...]] = []
            for serial in range(first, min(count, first + chunk)):
                designation, its_targets = maker.rows(serial)
                designation_rows.append(designation)
                target_rows.extend(its_targets)
            await connection.copy_records_to_table(
                "designations", records=designation_rows, columns=DESIGNATION_COLUMNS
            )
            await connection.copy_records_to_table(
                "measure_targets", records=target_rows, columns=TARGET_COLUMNS
            )
        await connection.execute("ANALYZE designations; ANALYZE measure_targets")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def prepare_database(settings: ServiceSettings, catalogue: Catalogue) -> None:
    assert settings.database_name
    await drop_database(settings.database_url, settings.database_name)
    await upgrade_to_head(SERVICES["responder"].migrations_dir, settings)
    connection = await asyncpg.connect(settings.plain_database_url)
    try:
        await connection.execute(
            "INSERT INTO catalogue_state (id, version, document) VALUES (1, $1, $2::jsonb)",
            catalogue.version,
            orjson.dumps(catalogue.as_document()).decode(),
        )
    finally:
        await connection.close()


def check_paths(count: int, sample: int, seed: int = 7) -> tuple[list[str], dict[str, int]]:
    """Checked ids: 50 % designated organisations, 10 % their legal representatives (one in
    five has one), 40 % valid organisation ids nobody designated."""
    chooser = random.Random(seed)
    paths: list[str] = []
    mix = {"designated organisation": 0, "legal representative": 0, "not designated": 0}
    for _ in range(sample):
        draw = chooser.random()
        if draw < 0.5:
            paths.append(f"/v1/checks/{organisation_id(chooser.randrange(count))}")
            mix["designated organisation"] += 1
        elif draw < 0.6:
            serial = chooser.randrange(max(1, count // PERSON_EVERY)) * PERSON_EVERY
            paths.append(f"/v1/checks/{person_id(serial)}")
            mix["legal representative"] += 1
        else:
            paths.append(f"/v1/checks/{organisation_id(count + chooser.randrange(10**7))}")
            mix["not designated"] += 1
    return paths, mix


def responder_env(layout: Layout, authority: BenchAuthority) -> dict[str, str]:
    return layout.env("responder", DEPARTMENT) | {
        "AUTH_JWKS_URL": authority.jwks_url,
        "REGISTRY_URL": UNREACHABLE_REGISTRY,
        "CATALOGUE_FETCH_ATTEMPTS": "1",
    }


def wait_index(responder: BenchProcess, token: str, timeout_s: float = 600.0) -> float:
    def loaded() -> bool:
        if not responder.alive():
            raise RuntimeError("the responder exited: see .jointcredit/bench-responder.log")
        answer = httpx.get(
            f"{responder.url}/v1/status",
            headers={"Authorization": f"Bearer {token}"},
            timeout=3.0,
        )
        return answer.status_code == 200 and bool(answer.json()["index_loaded"])

    return wait_for("the check index", loaded, timeout_s, every_s=0.1)


def settled_rss(process: BenchProcess) -> float:
    """RSS once it stops moving (the index is built; garbage collected)."""
    last = process.rss_mb()
    for _ in range(20):
        time.sleep(0.5)
        now = process.rss_mb()
        if abs(now - last) < 1.0:
            return now
        last = now
    return last


def sanity_check(responder: BenchProcess, token: str, count: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    hit = httpx.get(f"{responder.url}/v1/checks/{organisation_id(count - 1)}", headers=headers)
    miss = httpx.get(f"{responder.url}/v1/checks/{organisation_id(count + 1)}", headers=headers)
    person = httpx.get(f"{responder.url}/v1/checks/{person_id(0)}", headers=headers)
    if not (hit.json()["in_force"] and person.json()["in_force"]) or miss.json()["in_force"]:
        raise SystemExit(f"unexpected check answers: {hit.text[:300]} / {miss.text[:300]}")


def measure(
    server: BenchProcess, paths_file: Path, token: str, *, rate: float, seconds: float
) -> dict[str, Any]:
    """One load-generator run; adds the server's CPU time per answer (µs), which the other
    work on the machine disturbs far less than throughput."""
    cpu_before = server.cpu_seconds()
    result = loadgen(
        server.port,
        paths_file,
        rate=rate,
        duration=seconds,
        warmup=2.0,
        connections=16 if rate <= 0 else 32,
        headers=[f"Authorization: Bearer {token}"],
    )
    answered = max(1, result["completed_with_warmup"])
    result["server_cpu_us_per_request"] = round(
        (server.cpu_seconds() - cpu_before) / answered * 1e6, 1
    )
    return result


def run(arguments: argparse.Namespace) -> Report:
    settings = infra_settings()
    layout = Layout(namespace=f"bench{uuid.uuid4().hex[:6]}", responders=(DEPARTMENT,))
    responder_settings = layout.settings("responder", DEPARTMENT)
    catalogue = Catalogue.from_document(orjson.loads(SEED_FILE.read_bytes()), 1)
    authority = BenchAuthority()
    token = authority.token(DEPARTMENT, Role.responder)
    report = Report(
        "check",
        f"python -m bench.check --designations {arguments.designations} "
        f"--repeats {arguments.repeats}",
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-check-"))
    health_file, check_file = folder / "healthz.txt", folder / "checks.txt"
    paths, mix = check_paths(arguments.designations, 20_000)
    check_file.write_text("\n".join(paths) + "\n")
    health_file.write_text("/healthz\n")
    processes: list[BenchProcess] = []
    try:
        asyncio.run(prepare_database(responder_settings, catalogue))
        empty = serve("responder-empty", "responder", responder_env(layout, authority))
        processes.append(empty)
        wait_index(empty, token, 120)
        rss_empty = settled_rss(empty)
        empty.stop()
        print(f"responder with no designation: {rss_empty:.0f} MB RSS")
        fill_s = asyncio.run(fill_responder(responder_settings, catalogue, arguments.designations))
        print(f"{arguments.designations} designations copied in {fill_s:.1f} s")
        responder = serve("responder", "responder", responder_env(layout, authority))
        processes.append(responder)
        load_s = wait_index(responder, token)
        rss_loaded = settled_rss(responder)
        print(f"index loaded in {load_s:.1f} s; {rss_loaded:.0f} MB RSS")
        sanity_check(responder, token, arguments.designations)
        naive = start(
            "naive-check",
            [sys.executable, "-m", "bench.naive_check", "--port", "{port}"],
            {
                "DATABASE_URL": settings.database_url,
                "DATABASE_NAME": responder_settings.database_name or "",
                "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
                "TOPIC_PREFIX": layout.topic_prefix,
                "AUTH_JWKS_URL": authority.jwks_url,
                "DEPARTMENT_CODE": DEPARTMENT,
            },
        )
        processes.append(naive)
        wait_for(
            "the naive app",
            lambda: httpx.get(f"{naive.url}/healthz", timeout=3).status_code == 200,
        )

        seconds = arguments.saturation_seconds
        runs: dict[str, list[dict[str, Any]]] = {
            "healthz": [],
            "check": [],
            "naive_healthz": [],
            "naive_check": [],
        }
        for repeat in range(arguments.repeats):
            runs["healthz"].append(measure(responder, health_file, token, rate=0, seconds=seconds))
            runs["check"].append(measure(responder, check_file, token, rate=0, seconds=seconds))
            runs["naive_healthz"].append(
                measure(naive, health_file, token, rate=0, seconds=seconds)
            )
            runs["naive_check"].append(measure(naive, check_file, token, rate=0, seconds=seconds))
            print(
                f"repeat {repeat + 1}: "
                + ", ".join(f"{k} {v[-1]['throughput_per_s']:.0f}/s" for k, v in runs.items())
            )
        saturation = {k: median([r["throughput_per_s"] for r in v]) for k, v in runs.items()}
        cpu = {k: median([r["server_cpu_us_per_request"] for r in v]) for k, v in runs.items()}
        half = saturation["check"] / 2
        naive_half = saturation["naive_check"] / 2
        latency: dict[str, list[dict[str, Any]]] = {
            "check at half saturation": [],
            "healthz at the same rate": [],
            "naive check at its half saturation": [],
            "naive check at the responder's half saturation": [],
        }
        lat_s = arguments.latency_seconds
        for repeat in range(arguments.repeats):
            latency["check at half saturation"].append(
                measure(responder, check_file, token, rate=half, seconds=lat_s)
            )
            latency["healthz at the same rate"].append(
                measure(responder, health_file, token, rate=half, seconds=lat_s)
            )
            latency["naive check at its half saturation"].append(
                measure(naive, check_file, token, rate=naive_half, seconds=lat_s)
            )
            latency["naive check at the responder's half saturation"].append(
                measure(naive, check_file, token, rate=half, seconds=lat_s)
            )
            print(
                f"latency repeat {repeat + 1}: "
                + ", ".join(f"{k} p99 {v[-1]['p99_ms']} ms" for k, v in latency.items())
            )
        p99 = {k: median([r["p99_ms"] for r in v]) for k, v in latency.items()}
        p50 = {k: median([r["p50_ms"] for r in v]) for k, v in latency.items()}
        errors = sum(r["errors"] for v in [*runs.values(), *latency.values()] for r in v)
        rss_delta = rss_loaded - rss_empty
        report.figures = {
            "designations in force (one in five with a legal representative)": (
                arguments.designations
            ),
            "index records (subjects + legal representatives)": arguments.designations
            + arguments.designations // PERSON_EVERY,
            "COPY into the responder's tables, s": round(fill_s, 1),
            "index load at start-up, s": round(load_s, 1),
            "responder RSS empty / loaded, MB": [round(rss_empty), round(rss_loaded)],
            "responder RSS per 1,000,000 designations, MB": round(
                rss_delta * 1_000_000 / arguments.designations
            ),
            "checked ids (20,000, cycled)": mix,
            "saturation /healthz, req/s (median)": round(saturation["healthz"]),
            "saturation check, req/s (median)": round(saturation["check"]),
            "saturation naive /healthz, req/s (median)": round(saturation["naive_healthz"]),
            "saturation naive check, req/s (median)": round(saturation["naive_check"]),
            "saturation runs": {
                k: [round(r["throughput_per_s"]) for r in v] for k, v in runs.items()
            },
            "server CPU per answer at saturation, µs (median)": cpu,
            "open-loop rate for latency (half check saturation), req/s": round(half),
            "naive open-loop rate (its half saturation), req/s": round(naive_half),
            "p50 ms (median of repeats)": p50,
            "p99 ms (median of repeats)": p99,
            "latency runs p99 ms": {k: [r["p99_ms"] for r in v] for k, v in latency.items()},
            "latency runs achieved req/s": {
                k: [r["throughput_per_s"] for r in v] for k, v in latency.items()
            },
            "error answers (all runs)": errors,
        }
        report.ratios = {
            "check / healthz saturation": saturation["check"] / saturation["healthz"],
            "check / naive check saturation": saturation["check"] / saturation["naive_check"],
            "healthz / check server CPU per answer": cpu["healthz"] / cpu["check"],
            "naive check / naive healthz saturation": saturation["naive_check"]
            / saturation["naive_healthz"],
            "check p99 at half saturation / 10 ms": p99["check at half saturation"] / 10.0,
        }
        report.targets = {
            "check / healthz saturation": "target >= 0.6",
            "check p99 at half saturation / 10 ms": "target <= 1 (p99 <= 10 ms)",
        }
        report.notes = [
            "saturation: closed loop, 16 keep-alive connections; latency: open loop, 32 "
            "connections, measured from each request's due time",
            "processes sharing the 2 cores: server under test (1 uvicorn process), load "
            "generator (1 process), PostgreSQL (busy for the naive baseline only), broker, "
            "and other work on the shared machine",
        ]
    finally:
        for process in processes:
            process.stop()
        asyncio.run(drop_database(settings.database_url, responder_settings.database_name or ""))
        asyncio.run(delete_topics(settings.kafka_bootstrap_servers, layout.topic_prefix))
        authority.cleanup()
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return report


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--designations", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--saturation-seconds", type=float, default=8.0)
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    report = run(parser.parse_args(argv))
    report.emit()
    return report


if __name__ == "__main__":
    main()
