"""Bulk import (批量导入): a CSV file → the initiator → the three responders; rows/s end to end,
responder memory per 1,000,000 designations held, and initiator memory against file size.

    .venv/bin/python -m bench.bulk [--rows 20000] [--import-sizes 10000,100000]
    .venv/bin/python -m bench.bulk --rows 1000000 --import-sizes 100000,1000000   # full size

The platform runs as in production (`jointcredit serve`, namespace `bench<hex>`), except that
feedback is stopped once started: what is measured is file → initiator → responders (the
receipts wait in the broker).

1. End to end: one file of `--rows` rows (`dishonest_judgment_debtors`, owed by court, market
   and finance; one in five with a legal representative) is uploaded to `POST /v1/imports` as
   court; the clock stops when every responder holds every designation. Responder RSS before
   and after gives the memory per 1,000,000 designations held (index, caches, everything).
2. Initiator memory: the responders are stopped too, and files of each `--import-sizes` size
   are imported one after the other; the initiator's RSS is sampled every 0.2 s during each
   import (the upload is spooled to disk and read row by row, so the peak should not grow with
   the file). The initiator's outbox relay publishes the events meanwhile, as it does in
   production.

Processes sharing the 2 cores: registry (idle), initiator, the 3 responders (part 1),
PostgreSQL, the broker, this process (file writing, polling) — and other work on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import signal
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import Report
from bench.platform import RESPONDERS, BenchPlatform, running_platform
from bench.processes import rss_mb
from bench.propagation import (
    IMPORT_COLUMNS,
    INITIATOR,
    MEMORANDUM,
    designation_body,
    import_row,
)


def write_import_file(path: Path, serials: Iterable[int]) -> int:
    """A CSV of the given serials' designations, written row by row; its size in bytes."""
    today = datetime.now(UTC).date()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_COLUMNS)
        for serial in serials:
            writer.writerow(import_row(designation_body(serial, today)))
    return path.stat().st_size


def stop_service(bench: BenchPlatform, label: str) -> None:
    process = bench.service(label).process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def upload(bench: BenchPlatform, path: Path) -> str:
    token = bench.client.token(INITIATOR)
    with path.open("rb") as handle, httpx.Client(timeout=600.0) as client:
        answer = client.post(
            f"{bench.url('initiator')}/v1/imports",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (path.name, handle, "text/csv")},
            data={"memorandum_code": MEMORANDUM, "list_type": "black"},
        )
    if answer.status_code != 202:
        raise RuntimeError(f"import refused: {answer.status_code} {answer.text[:500]}")
    return str(answer.json()["import_id"])


def import_state(bench: BenchPlatform, import_id: str) -> dict[str, Any]:
    answer = bench.client.call(
        "GET", f"{bench.url('initiator')}/v1/imports/{import_id}", as_=INITIATOR
    )
    state: dict[str, Any] = answer
    return state


def held(bench: BenchPlatform, department: str) -> int:
    return int(
        asyncio.run(bench.fetchval(f"responder-{department}", "SELECT count(*) FROM designations"))
    )


def end_to_end(bench: BenchPlatform, rows: int, folder: Path, stall_s: float) -> dict[str, Any]:
    before = {d: held(bench, d) for d in RESPONDERS}
    rss_before = bench.rss()
    path = folder / f"designations-{rows}.csv"
    size = write_import_file(path, range(rows))
    started = time.monotonic()
    import_id = upload(bench, path)
    uploaded = time.monotonic() - started
    imported_at: float | None = None
    done_at: dict[str, float] = {}
    last_progress, last_total = time.monotonic(), -1
    peak = dict(rss_before)
    while len(done_at) < len(RESPONDERS):
        time.sleep(1.0)
        state = import_state(bench, import_id)
        if imported_at is None and state["state"] != "running":
            imported_at = time.monotonic() - started
            if state["state"] != "completed":
                raise RuntimeError(f"the import ended {state['state']}: {state['failure']}")
        counts = {d: held(bench, d) - before[d] for d in RESPONDERS}
        for department, count in counts.items():
            if count >= rows and department not in done_at:
                done_at[department] = time.monotonic() - started
        for label, value in bench.rss().items():
            peak[label] = max(peak.get(label, 0.0), value)
        total = sum(counts.values()) + int(state["rows_read"])
        if total != last_total:
            last_progress, last_total = time.monotonic(), total
        elif time.monotonic() - last_progress > stall_s:
            raise RuntimeError(f"no progress for {stall_s:.0f} s: {state}, held {counts}")
        print(f"  {time.monotonic() - started:6.0f} s  imported {state['created']}  held {counts}")
    path.unlink()
    rss_after = bench.rss()
    elapsed = max(done_at.values())
    per_million = {
        d: round((rss_after[f"responder-{d}"] - rss_before[f"responder-{d}"]) * 1_000_000 / rows)
        for d in RESPONDERS
    }
    return {
        "rows": rows,
        "file MB": round(size / 2**20, 1),
        "upload s": round(uploaded, 1),
        "import finished at s": round(imported_at or float("nan"), 1),
        "each responder held all at s": {d: round(t, 1) for d, t in done_at.items()},
        "import rows/s": round(rows / (imported_at or float("nan")), 1),
        "end-to-end rows/s (file → all 3 responders hold every row)": round(rows / elapsed, 1),
        "responder RSS before / after, MB": {
            d: [rss_before[f"responder-{d}"], rss_after[f"responder-{d}"]] for d in RESPONDERS
        },
        "responder RSS growth per 1,000,000 designations held, MB": per_million,
        "initiator RSS before / peak / after, MB": [
            rss_before["initiator"],
            peak["initiator"],
            rss_after["initiator"],
        ],
    }


def initiator_memory(bench: BenchPlatform, rows: int, folder: Path, first: int) -> dict[str, Any]:
    path = folder / f"designations-{rows}.csv"
    size = write_import_file(path, range(first, first + rows))
    pid = bench.service("initiator").process.pid
    baseline = rss_mb(pid)
    peak = baseline
    started = time.monotonic()
    import_id = upload(bench, path)
    next_poll = time.monotonic()
    while True:
        time.sleep(0.2)
        peak = max(peak, rss_mb(pid))
        if time.monotonic() >= next_poll:
            state = import_state(bench, import_id)
            if state["state"] != "running":
                break
            next_poll = time.monotonic() + 0.5
    elapsed = time.monotonic() - started
    path.unlink()
    if state["state"] != "completed" or int(state["created"]) != rows:
        raise RuntimeError(f"import of {rows} rows: {state}")
    print(
        f"  {rows} rows imported in {elapsed:.0f} s; initiator RSS {baseline:.0f} → {peak:.0f} MB"
    )
    return {
        "rows": rows,
        "file MB": round(size / 2**20, 1),
        "seconds": round(elapsed, 1),
        "rows/s": round(rows / elapsed, 1),
        "initiator RSS before, MB": round(baseline, 1),
        "initiator RSS peak during the import, MB": round(peak, 1),
        "peak - before, MB": round(peak - baseline, 1),
    }


def warm_up(bench: BenchPlatform, folder: Path) -> None:
    """One small file first: catalogues held, consumer groups joined."""
    path = folder / "warm-up.csv"
    write_import_file(path, range(99_000_000, 99_000_010))
    import_id = upload(bench, path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = import_state(bench, import_id)["state"] != "running"
        if done and all(held(bench, d) >= 10 for d in RESPONDERS):
            path.unlink()
            return
        time.sleep(0.5)
    raise SystemExit("the warm-up import did not reach the responders")


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="end-to-end file size")
    parser.add_argument(
        "--import-sizes",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[10_000, 100_000],
        help="file sizes imported with the responders stopped (initiator memory)",
    )
    parser.add_argument("--stall-seconds", type=float, default=180.0)
    arguments = parser.parse_args(argv)
    report = Report(
        "bulk",
        f"python -m bench.bulk --rows {arguments.rows} --import-sizes "
        + ",".join(str(size) for size in arguments.import_sizes),
    )
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as name, running_platform() as bench:
        folder = Path(name)
        stop_service(bench, "feedback")
        warm_up(bench, folder)
        print(f"end to end: {arguments.rows} rows")
        report.figures["end to end"] = end_to_end(
            bench, arguments.rows, folder, arguments.stall_seconds
        )
        for department in RESPONDERS:
            stop_service(bench, f"responder-{department}")
        memory = []
        first = 10**7
        for rows in arguments.import_sizes:
            print(f"initiator alone: {rows} rows")
            memory.append(initiator_memory(bench, rows, folder, first))
            first += rows
        report.figures["initiator memory against file size"] = memory
    e2e = report.figures["end to end"]
    if len(memory) >= 2:
        small, large = memory[0], memory[-1]
        report.ratios["initiator peak RSS, largest / smallest file"] = (
            large["initiator RSS peak during the import, MB"]
            / small["initiator RSS peak during the import, MB"]
        )
        report.ratios["file size, largest / smallest"] = large["rows"] / small["rows"]
        report.ratios["import rows/s, largest / smallest file"] = large["rows/s"] / small["rows/s"]
    report.ratios["end-to-end rows/s / import-alone rows/s"] = (
        e2e["end-to-end rows/s (file → all 3 responders hold every row)"] / memory[-1]["rows/s"]
        if memory
        else float("nan")
    )
    report.targets["initiator peak RSS, largest / smallest file"] = (
        "flat: ~1 whatever the file-size ratio"
    )
    report.notes = [
        "feedback is stopped during this benchmark (file → initiator → responders)",
        "processes sharing the 2 cores: initiator, 3 responders (end to end only), "
        "PostgreSQL, the broker, this process, other work on the shared machine",
    ]
    report.emit()
    return report


if __name__ == "__main__":
    main()
