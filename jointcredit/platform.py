"""The services of one platform instance as child processes: started, checked, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jointcredit.infra.ports import free_port
from jointcredit.infra.state import state_dir
from shared.stopping import DEFAULT_STOP_TIMEOUT_S


@dataclass
class RunningService:
    label: str
    port: int
    process: subprocess.Popen[bytes]
    service: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Platform:
    services: list[RunningService] = field(default_factory=list)
    log_dir: Path | None = None
    """Where `<label>.log` files go (default: the embedded infrastructure's state directory)."""

    def start(
        self, label: str, service: str, env: dict[str, str], *, port: int | None = None
    ) -> RunningService:
        port = port or free_port()
        log = ((self.log_dir or state_dir()) / f"{label}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "jointcredit.cli", "serve", service, "--port", str(port)],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        running = RunningService(label, port, process, service, dict(env))
        self.services = [s for s in self.services if s.label != label] + [running]
        return running

    def service(self, label: str) -> RunningService:
        for service in self.services:
            if service.label == label:
                return service
        raise KeyError(f"no service labelled {label!r}")

    def kill(self, label: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` (SIGKILL: no chance to clean up) and wait until the process is gone."""
        process = self.service(label).process
        if process.poll() is None:
            process.send_signal(sig)
        process.wait(30)

    def restart(self, label: str, extra_env: dict[str, str] | None = None) -> RunningService:
        """Start the service again on the same port with the same environment; `extra_env`
        applies to this run only. A process still running is stopped gracefully first."""
        old = self.service(label)
        if old.process.poll() is None:
            self.kill(label, signal.SIGTERM)
        running = self.start(label, old.service, old.env | (extra_env or {}), port=old.port)
        running.env = dict(old.env)
        return running

    def wait_ready(self, timeout_s: float = 60.0) -> dict[str, bool]:
        deadline = time.monotonic() + timeout_s
        ready: dict[str, bool] = {s.label: False for s in self.services}
        with httpx.Client(timeout=3.0) as client:
            while time.monotonic() < deadline and not all(ready.values()):
                for service in self.services:
                    if ready[service.label] or service.process.poll() is not None:
                        continue
                    try:
                        ready[service.label] = (
                            client.get(f"{service.url}/readyz").status_code == 200
                        )
                    except httpx.HTTPError:
                        pass
                time.sleep(0.2)
        return ready

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> list[str]:
        """SIGTERM to every service at once, one deadline for all of them (each stops
        gracefully within its own `STOP_TIMEOUT_S`), then SIGKILL to what is left; returns the
        labels of those it had to kill."""
        running = [s for s in self.services if s.process.poll() is None]
        for service in running:
            service.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        killed = []
        for service in running:
            try:
                service.process.wait(max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                service.process.kill()
                killed.append(service.label)
        for service in running:
            service.process.wait()
        return killed
