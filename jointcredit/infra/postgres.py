"""An embedded PostgreSQL server: PyPI `pgserver`'s binaries, or Debian's server when present."""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jointcredit.infra.pids import alive, recorded_pid
from jointcredit.infra.ports import free_port, port_answers, wait_for_port

SERVICE_USER = "jointcredit-pg"


class InfraUnavailable(RuntimeError):
    """Raised with one line that says what to install or set."""


def find_postgres_bin() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.origin:
        candidate = Path(spec.origin).parent / "pginstall" / "bin"
        if (candidate / "postgres").exists():
            return candidate
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), reverse=True)
    if debian:
        return Path(debian[0]).parent
    raise InfraUnavailable(
        "no PostgreSQL found: run `uv sync` (installs pgserver), `apt-get install postgresql`, "
        "or set DATABASE_URL"
    )


def binaries_for_service_user(bin_dir: Path) -> Path:
    """Binaries the service user can reach: a private clone's folders may be closed to it.

    pgserver's binaries find their libraries through `$ORIGIN/../../../pgserver.libs`, so the
    copy keeps that layout.
    """
    install = bin_dir.parent
    site = install.parent.parent
    digest = hashlib.sha256(str(install).encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / f"jointcredit-pginstall-{digest}"
    copied_bin = target / "pgserver" / "pginstall" / "bin"
    if not (copied_bin / "postgres").exists():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(install, partial / "pgserver" / "pginstall", symlinks=True)
        libs = site / "pgserver.libs"
        if libs.exists():
            shutil.copytree(libs, partial / "pgserver.libs", symlinks=True)
        for folder in (partial, partial / "pgserver"):
            os.chmod(folder, 0o755)  # noqa: S103 - the service user must read and execute them
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return copied_bin


def _ensure_service_user() -> str:
    """PostgreSQL refuses to run as root, so root runs it as a system user of its own."""
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


@dataclass
class EmbeddedPostgres:
    """One server per state directory. Its port is chosen once and kept in `pg.port` across
    stops and crashes: services hold the URL, so a restarted server must be where they look."""

    state: Path

    @property
    def data_dir(self) -> Path:
        if os.geteuid() != 0:
            return self.state / "pg"
        # The service user must reach the data directory: keep it under a world-traversable
        # folder, one per state directory so that clones do not share a cluster.
        digest = hashlib.sha256(str(self.state).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"jointcredit-pg-{digest}"

    @property
    def port_file(self) -> Path:
        return self.state / "pg.port"

    def url(self, port: int) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _bin_dir(self) -> Path:
        bin_dir = find_postgres_bin()
        if os.geteuid() == 0 and not str(bin_dir).startswith("/usr/"):
            return binaries_for_service_user(bin_dir)
        return bin_dir

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        user = _ensure_service_user() if os.geteuid() == 0 else None
        return subprocess.run(args, check=False, capture_output=True, text=True, user=user)

    def recorded_port(self) -> int | None:
        if not self.port_file.exists():
            return None
        return int(self.port_file.read_text().strip())

    def running_port(self) -> int | None:
        """The port while this state directory's server runs and answers on it."""
        port = self.recorded_port()
        if port is None or not alive(recorded_pid(self.data_dir / "postmaster.pid")):
            return None
        return port if port_answers("127.0.0.1", port) else None

    def start(self, port: int | None = None) -> str:
        """Start the server on `port`, else on the port it had before, else on a free one."""
        running = self.running_port()
        if running is not None:
            return self.url(running)
        port = port or self.recorded_port() or free_port()
        if port_answers("127.0.0.1", port):
            raise InfraUnavailable(
                f"PostgreSQL had port {port}, which another process holds now: stop it (services "
                f"look for the database there), or delete {self.port_file} to take a new port"
            )
        bin_dir = self._bin_dir()
        data = self.data_dir
        self._end_orphans_of_a_dead_server()
        if not (data / "PG_VERSION").exists():
            data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(data, _ensure_service_user())
            done = self._run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
            if done.returncode != 0:
                raise InfraUnavailable(f"initdb failed: {done.stderr.strip().splitlines()[-1:]}")
        options = f"-h 127.0.0.1 -p {port} -k {data} -c max_connections=300 -c fsync=off"
        done = self._run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(data / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
            ]
        )
        if done.returncode != 0 or not wait_for_port("127.0.0.1", port, 15):
            raise InfraUnavailable(
                f"PostgreSQL did not start: see {data / 'server.log'}{_last_error(data)}"
            )
        self.port_file.write_text(str(port))
        return self.url(port)

    def _end_orphans_of_a_dead_server(self, grace_s: float = 10.0) -> None:
        """A server whose postmaster was killed leaves backends that still hold its shared
        memory until they notice; a new postmaster refuses to start beside them ("pre-existing
        shared memory block is still in use"). Give them `grace_s` to leave, then kill them."""
        if alive(recorded_pid(self.data_dir / "postmaster.pid")):
            return
        deadline = time.monotonic() + grace_s
        while orphans := processes_working_in(self.data_dir):
            if time.monotonic() >= deadline:
                for pid in orphans:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + grace_s
            time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects clients and shuts down cleanly; `immediate` is like a crash (the
        next start recovers from the WAL)."""
        if not (self.data_dir / "postmaster.pid").exists():
            return
        bin_dir = self._bin_dir()
        self._run([str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"])


def processes_working_in(directory: Path) -> list[int]:
    """Live processes whose working directory is `directory`: every PostgreSQL server process
    runs in its data directory."""
    found = []
    target = str(directory.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == target and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _last_error(data: Path) -> str:
    """The server log's last line, so that the one-line error says why."""
    try:
        lines = (data / "server.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f" ({lines[-1].strip()})" if lines else ""
