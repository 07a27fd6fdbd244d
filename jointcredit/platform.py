"""`jointcredit up`: the infrastructure, every service, and their health, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx

from jointcredit.infra.ports import free_port
from jointcredit.infra.state import state_dir


@dataclass
class RunningService:
    label: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Platform:
    services: list[RunningService] = field(default_factory=list)

    def start(self, label: str, service: str, env: dict[str, str]) -> RunningService:
        port = free_port()
        log = (state_dir() / f"{label}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "jointcredit.cli", "serve", service, "--port", str(port)],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        running = RunningService(label, port, process)
        self.services.append(running)
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

    def stop(self) -> None:
        for service in self.services:
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in self.services:
            try:
                service.process.wait(20)
            except subprocess.TimeoutExpired:
                service.process.kill()
