"""PostgreSQL killed and started again by `jointcredit infra up` comes back on the port it had,
so a service that kept running finds it again and is ready without a restart."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from jointcredit.infra.broker import EmbeddedBroker
from jointcredit.infra.pids import alive, recorded_pid
from jointcredit.infra.ports import port_answers
from jointcredit.infra.postgres import EmbeddedPostgres
from jointcredit.infra.state import read_env_file
from jointcredit.platform import Platform
from tests.support.processes import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A state directory of its own: its PostgreSQL and broker are private to this test."""
    home = tmp_path / "home"
    try:
        yield home
    finally:
        EmbeddedBroker(home).stop()
        postgres = EmbeddedPostgres(home)
        postgres.stop(mode="immediate")
        shutil.rmtree(postgres.data_dir, ignore_errors=True)


def test_postgres_killed_comes_back_on_its_port_and_a_running_service_is_ready(
    home: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    } | {"JOINTCREDIT_HOME": str(home)}
    first = _infra_up(env)
    _jointcredit(env, "migrate", "registry")
    platform = Platform(log_dir=home)
    registry = platform.start("registry", "registry", env | first)
    try:
        _wait_until(lambda: _ready(registry.url), 90)
        postgres = EmbeddedPostgres(home)
        port = postgres.recorded_port()
        assert port is not None
        postmaster = recorded_pid(postgres.data_dir / "postmaster.pid")
        assert postmaster
        os.kill(postmaster, signal.SIGKILL)
        _wait_until(lambda: not alive(postmaster) and not port_answers("127.0.0.1", port), 30)
        _wait_until(lambda: not _ready(registry.url), 30)
        again = _infra_up(env)
        assert again["DATABASE_URL"] == first["DATABASE_URL"]
        assert again["KAFKA_BOOTSTRAP_SERVERS"] == first["KAFKA_BOOTSTRAP_SERVERS"]
        _wait_until(lambda: _ready(registry.url), 60)
        assert registry.process.poll() is None
    finally:
        platform.stop()


def _infra_up(env: dict[str, str]) -> dict[str, str]:
    _jointcredit(env, "infra", "up")
    recorded = read_env_file(Path(env["JOINTCREDIT_HOME"]) / "infra.env")
    return {key: recorded[key] for key in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}


def _jointcredit(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jointcredit.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_backend_that_outlives_its_killed_postmaster_does_not_keep_postgres_down(
    home: Path,
) -> None:
    """A backend frozen when its postmaster dies holds the server's shared memory; a new
    postmaster would refuse to start beside it until it is gone."""
    home.mkdir(parents=True)
    postgres = EmbeddedPostgres(home)
    url = postgres.start()
    backend = asyncio.run(_frozen_backend(url))
    postmaster = recorded_pid(postgres.data_dir / "postmaster.pid")
    assert postmaster
    os.kill(postmaster, signal.SIGKILL)
    _wait_until(lambda: not alive(postmaster), 30)
    assert alive(backend)
    assert postgres.start() == url
    assert not alive(backend)
    assert asyncio.run(_select_one(url)) == 1


async def _frozen_backend(url: str) -> int:
    """The pid of a backend left connected and stopped with SIGSTOP."""
    connection = await asyncpg.connect(url)
    pid: int = await connection.fetchval("SELECT pg_backend_pid()")
    os.kill(pid, signal.SIGSTOP)
    connection.terminate()
    return pid


async def _select_one(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        value: int = await connection.fetchval("SELECT 1")
        return value
    finally:
        await connection.close()
