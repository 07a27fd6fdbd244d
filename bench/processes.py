"""Running the real service processes for a benchmark: start, wait, measure memory, stop.

Every process is started in a session of its own and stopped by its own pid (SIGTERM, then
SIGKILL after a grace period); logs go to `.jointcredit/bench-<label>.log`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from jointcredit.infra.ports import free_port
from jointcredit.infra.state import state_dir
from shared.auth.principal import Role
from shared.auth.tokens import generate_signing_key, public_jwk, sign_token


@dataclass
class BenchProcess:
    label: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_s: float = 20.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(
    label: str, argv: Sequence[str], env: dict[str, str], port: int | None = None
) -> BenchProcess:
    """`argv` may contain `{port}`, replaced by a free port."""
    port = port or free_port()
    log = (state_dir() / f"bench-{label}.log").open("ab")
    process = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in argv],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return BenchProcess(label, port, process)


def serve(label: str, service: str, env: dict[str, str]) -> BenchProcess:
    """A platform service as production runs it: `jointcredit serve <service>` (uvicorn)."""
    argv = [sys.executable, "-m", "jointcredit.cli", "serve", service, "--port", "{port}"]
    return start(label, argv, env)


def wait_for(
    what: str, probe: Callable[[], bool], timeout_s: float = 120.0, every_s: float = 0.2
) -> float:
    """Poll until `probe` answers True; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            if probe():
                return time.monotonic() - started
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(every_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def wait_ready(service: BenchProcess, path: str = "/readyz", timeout_s: float = 120.0) -> float:
    def ready() -> bool:
        if not service.alive():
            raise RuntimeError(
                f"{service.label} exited; see .jointcredit/bench-{service.label}.log"
            )
        return httpx.get(f"{service.url}{path}", timeout=3.0).status_code == 200

    return wait_for(f"{service.label} {path}", ready, timeout_s)


@dataclass
class BenchAuthority:
    """A signing key and its JWKS file: services verify its tokens via AUTH_JWKS_URL=file://."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-jwks-")))

    def __post_init__(self) -> None:
        self.key = generate_signing_key()
        self.path = self.folder / "jwks.json"
        self.path.write_bytes(orjson.dumps({"keys": [public_jwk(self.key)]}))

    @property
    def jwks_url(self) -> str:
        return self.path.resolve().as_uri()

    def token(self, department: str, *roles: Role) -> str:
        return sign_token(
            self.key,
            client_id=f"bench-{department}",
            department_code=department,
            roles=roles or (Role.responder,),
            lifetime_s=6 * 3600,
        )

    def cleanup(self) -> None:
        self.path.unlink(missing_ok=True)
        self.folder.rmdir()


def loadgen(
    port: int,
    paths_file: Path | None,
    *,
    post_path: str | None = None,
    bodies_file: Path | None = None,
    rate: float,
    duration: float,
    warmup: float = 2.0,
    connections: int = 32,
    headers: Sequence[str] = (),
) -> dict[str, Any]:
    """Run `bench.loadgen` in a process of its own; its JSON result."""
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--port",
        str(port),
        "--rate",
        str(rate),
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
        "--connections",
        str(connections),
    ]
    if paths_file is not None:
        argv += ["--paths-file", str(paths_file)]
    if post_path is not None and bodies_file is not None:
        argv += ["--post-path", post_path, "--bodies-file", str(bodies_file)]
    for header in headers:
        argv += ["--header", header]
    done = subprocess.run(argv, capture_output=True, timeout=warmup + duration + 120, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
