"""An HTTP/1.1 load generator in a process of its own: raw keep-alive sockets on uvloop.

    python -m bench.loadgen --port 8000 --paths-file paths.txt [--header 'Authorization: …']
        [--rate 2000 | --rate 0] [--connections 32] [--duration 10] [--warmup 2]

    python -m bench.loadgen --port 8001 --post-path /v1/designations --bodies-file bodies.jsonl …

Open loop (`--rate R`): request i is due at start + i/R whatever happened before; its latency
is measured from that due time, so a slow answer delays the requests queued behind it and is
not hidden (no coordinated omission). Closed loop (`--rate 0`): every connection sends its next
request as soon as the previous answer arrived, which measures saturation throughput.

Requests are pre-built bytes; answers are parsed only as far as the status and Content-Length.
Prints one JSON object: completed, errors, status counts, throughput and latency percentiles of
the requests due after the warm-up. The generator wakes every millisecond and sends what fell
due since, so latency measured from the due time includes up to ~1 ms of its own timer
granularity; `p99_from_dispatch_ms` leaves that out (but keeps the wait for a free connection),
and `generator_lateness_p99_ms` shows how late the generator itself was.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from pathlib import Path
from typing import cast

import uvloop


class _Run:
    def __init__(self, requests: list[bytes]) -> None:
        self.requests = requests
        self.next_request = 0
        self.warmup_until = float("inf")
        self.idle: collections.deque[_Connection] = collections.deque()
        self.pending: collections.deque[tuple[float, float]] = collections.deque()
        self.from_due: list[float] = []
        self.from_dispatch: list[float] = []
        self.statuses: collections.Counter[int] = collections.Counter()
        self.completed_in_window = 0
        self.completed_total = 0
        self.errors = 0
        self.in_flight = 0
        self.closed_loop = False
        self.stopped = False

    def request(self) -> bytes:
        request = self.requests[self.next_request]
        self.next_request = (self.next_request + 1) % len(self.requests)
        return request

    def dispatch(self, due: float, now: float) -> None:
        if self.idle:
            self.idle.popleft().send(due, now, self.request())
        else:
            self.pending.append((due, now))

    def finished(self, connection: _Connection, status: int, now: float) -> None:
        self.in_flight -= 1
        self.completed_total += 1
        if connection.due >= self.warmup_until and not self.stopped:
            self.from_due.append(now - connection.due)
            self.from_dispatch.append(now - connection.dispatched)
            self.statuses[status] += 1
            self.completed_in_window += 1
            if status >= 400:
                self.errors += 1
        if self.closed_loop:
            if not self.stopped:
                connection.send(now, now, self.request())
            return
        if self.pending:
            due, dispatched = self.pending.popleft()
            connection.send(due, dispatched, self.request())
        else:
            self.idle.append(connection)


class _Connection(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self.run = run
        self.transport: asyncio.WriteTransport | None = None
        self.buffer = b""
        self.due = 0.0
        self.dispatched = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)  # uvloop's is no subclass

    def send(self, due: float, dispatched: float, request: bytes) -> None:
        assert self.transport is not None
        self.due = due
        self.dispatched = dispatched
        self.run.in_flight += 1
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end]
        length = 0
        lowered = head.lower()
        marker = lowered.find(b"content-length:")
        if marker >= 0:
            line_end = lowered.find(b"\r\n", marker)
            length = int(head[marker + 15 : line_end if line_end >= 0 else None])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        status = int(head[9:12])
        self.buffer = self.buffer[total:]
        self.run.finished(self, status, time.perf_counter())


async def _drained(run: _Run, timeout_s: float) -> None:
    """Wait for the answers still due (polled: the protocol callbacks set no event)."""
    deadline = time.perf_counter() + timeout_s
    while run.in_flight or run.pending:
        if time.perf_counter() > deadline:
            return
        await asyncio.sleep(0.01)


def _requests(paths: list[str], host: str, headers: list[str]) -> list[bytes]:
    extra = "".join(f"{header}\r\n" for header in headers)
    return [
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode("latin-1") for path in paths
    ]


def _posts(path: str, bodies: list[bytes], host: str, headers: list[str]) -> list[bytes]:
    extra = "".join(f"{header}\r\n" for header in headers)
    return [
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1")
        + body
        for body in bodies
    ]


def _percentile_ms(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 3)


async def run(
    host: str,
    port: int,
    requests: list[bytes],
    rate: float,
    connections: int,
    duration: float,
    warmup: float,
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    run = _Run(requests)
    opened: list[_Connection] = []
    for _ in range(connections):
        _, protocol = await loop.create_connection(lambda: _Connection(run), host, port)
        opened.append(protocol)
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    start_epoch = time.time()
    run.warmup_until = start + warmup
    end = start + warmup + duration
    cpu_started = time.process_time()
    lateness: list[float] = []
    if rate <= 0:
        run.closed_loop = True
        for connection in opened:
            now = time.perf_counter()
            connection.send(now, now, run.request())
        await asyncio.sleep(end - time.perf_counter())
        run.stopped = True
        window_end = end
    else:
        run.idle.extend(opened)
        total = int(rate * (warmup + duration))
        sent = 0
        while sent < total:
            now = time.perf_counter()
            due_now = min(total, int((now - start) * rate) + 1)
            while sent < due_now:
                due = start + sent / rate
                if due >= run.warmup_until:
                    lateness.append(now - due)
                run.dispatch(due, now)
                sent += 1
            await asyncio.sleep(0.001)
        await _drained(run, 30.0)
        run.stopped = True
        window_end = time.perf_counter()
    cpu_used = time.process_time() - cpu_started
    for connection in opened:
        if connection.transport is not None:
            connection.transport.close()
    window = max(1e-9, window_end - run.warmup_until)
    return {
        "mode": "closed" if rate <= 0 else "open",
        "start_epoch": start_epoch,
        "offered_per_s": rate if rate > 0 else None,
        "connections": connections,
        "completed": run.completed_in_window,
        "completed_with_warmup": run.completed_total,
        "errors": run.errors,
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "throughput_per_s": round(run.completed_in_window / window, 1),
        "unfinished": run.in_flight + len(run.pending),
        "p50_ms": _percentile_ms(run.from_due, 0.50),
        "p90_ms": _percentile_ms(run.from_due, 0.90),
        "p99_ms": _percentile_ms(run.from_due, 0.99),
        "max_ms": _percentile_ms(run.from_due, 1.0),
        "p99_from_dispatch_ms": _percentile_ms(run.from_dispatch, 0.99),
        "generator_lateness_p99_ms": _percentile_ms(lateness, 0.99),
        "loadgen_cpu_s": round(cpu_used, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths-file", type=Path, help="GET: one request path a line")
    parser.add_argument("--post-path", help="POST to this path, one body a line of --bodies-file")
    parser.add_argument("--bodies-file", type=Path, help="POST: one JSON body a line")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--rate", type=float, default=0.0, help="requests/s; 0 = closed loop")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    arguments = parser.parse_args(argv)
    host = f"{arguments.host}:{arguments.port}"
    if arguments.post_path:
        bodies = [line for line in arguments.bodies_file.read_bytes().splitlines() if line]
        requests = _posts(arguments.post_path, bodies, host, arguments.header)
    else:
        paths = [line for line in arguments.paths_file.read_text().splitlines() if line]
        requests = _requests(paths, host, arguments.header)
    result = uvloop.run(
        run(
            arguments.host,
            arguments.port,
            requests,
            arguments.rate,
            arguments.connections,
            arguments.duration,
            arguments.warmup,
        )
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
