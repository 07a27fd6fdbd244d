"""SIGTERM stops gracefully: `jointcredit up` leaves no process behind, a service commits the
batch in hand and publishes its outbox, and each exits 0 within the stop bound."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, TopicPartition

from jointcredit.infra.pids import alive, recorded_pid
from jointcredit.infra.postgres import EmbeddedPostgres
from shared.stopping import DEFAULT_STOP_TIMEOUT_S
from shared.topics import Topic
from tests.support.designation_load import DesignationLoad
from tests.support.fault_platform import FaultPlatform
from tests.support.processes import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

SERVERS_STOP_S = 15.0
"""What `jointcredit up` may take after its services' bound: stopping PostgreSQL and the broker."""


def test_sigterm_to_up_stops_every_service_and_the_servers_it_started(tmp_path: Path) -> None:
    """`jointcredit up` on a state directory of its own, so that it starts (and must stop) its
    own PostgreSQL and broker; SIGTERM once the platform is up."""
    home = tmp_path / "home"
    output = tmp_path / "up.out"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "JOINTCREDIT_FAILPOINTS")
    } | {"JOINTCREDIT_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    namespace = f"stop{uuid.uuid4().hex[:6]}"
    command = [sys.executable, "-m", "jointcredit.cli", "up", "--namespace", namespace]
    postgres = EmbeddedPostgres(home)
    with output.open("wb") as sink:
        up = subprocess.Popen(command, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
    recorded: list[int] = []
    try:
        _wait_until(
            lambda: "the platform is up" in output.read_text() or up.poll() is not None, 300
        )
        assert up.poll() is None, output.read_text()
        postmaster = recorded_pid(postgres.data_dir / "postmaster.pid")
        broker = recorded_pid(home / "broker.pid")
        assert postmaster
        assert broker
        recorded = [*_children(up.pid), postmaster, *_children(postmaster)]
        services = [pid for pid in _children(up.pid) if pid != broker]
        assert len(services) >= 6, services  # registry, initiator, feedback, three responders
        up.send_signal(signal.SIGTERM)
        code = up.wait(DEFAULT_STOP_TIMEOUT_S + SERVERS_STOP_S)
        said = output.read_text()
        assert code == 0, said
        assert "services stopped" in said
        assert "SIGKILLed" not in said, said
        assert "embedded broker and PostgreSQL stopped" in said, said
        left = [pid for pid in recorded if alive(pid)]
        assert not left, f"still running: {left}"
    finally:
        if up.poll() is None:
            up.kill()
        for pid in recorded:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        postgres.stop(mode="immediate")
        shutil.rmtree(postgres.data_dir, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session")
async def fault_platform() -> AsyncIterator[FaultPlatform]:
    platform = FaultPlatform()
    try:
        await asyncio.to_thread(platform.start)
        await platform.wait_catalogue_everywhere()
        yield platform
    finally:
        await asyncio.to_thread(platform.close)


async def test_sigterm_to_a_responder_commits_its_batch_and_publishes_its_outbox(
    fault_platform: FaultPlatform,
) -> None:
    """responder-market SIGTERMed while designations flow: it exits 0, its group's committed
    offsets cover exactly the events its inbox holds (no batch applied and left uncommitted),
    and its outbox holds no unsent receipt. The standalone relay, sent SIGINT, exits 0 too."""
    platform = fault_platform
    market = platform.platform.service("responder-market")
    database = platform.layout.database("responder", "market")
    group = f"{platform.layout.topic_prefix}responder-market"
    load = DesignationLoad(platform.url("initiator"), platform.headers)
    inbox = "SELECT count(*) FROM inbox WHERE consumer = $1"
    async with load.flowing(at_least=10):
        deadline = time.monotonic() + 90
        while await platform.fetchval(database, inbox, group) < 10:
            assert time.monotonic() < deadline, "responder-market applied nothing"
            await asyncio.sleep(0.2)
        market.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(market.process.wait, DEFAULT_STOP_TIMEOUT_S + 5)
    assert code == 0, platform.log_of("responder-market")[-3000:]
    applied = await platform.fetchval(database, inbox, group)
    committed = await _committed(platform, group, platform.topic(Topic.DESIGNATIONS))
    assert committed == applied
    unsent = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
    assert await platform.fetchval(database, unsent) == 0
    assert platform.relay is not None
    platform.relay.send_signal(signal.SIGINT)
    assert await asyncio.to_thread(platform.relay.wait, DEFAULT_STOP_TIMEOUT_S + 5) == 0


STUCK_WORKER = """
import asyncio, sys
from jointcredit.processes import run_until_signalled

async def stuck(stop: asyncio.Event) -> None:
    print("running", flush=True)
    await asyncio.Event().wait()

run_until_signalled(stuck, stop_timeout_s=float(sys.argv[1]))
print("stopped", flush=True)
"""


def test_a_worker_that_ignores_the_stop_is_cancelled_at_the_bound() -> None:
    """`jointcredit relay`'s loop: a worker that never looks at `stop` still ends the process,
    with exit 0, once the bound has passed."""
    bound_s = 1.0
    worker = subprocess.Popen(
        [sys.executable, "-c", STUCK_WORKER, str(bound_s)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "running"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(bound_s + 30) == 0
        assert worker.stdout.read().strip() == "stopped"
    finally:
        if worker.poll() is None:
            worker.kill()


async def _committed(platform: FaultPlatform, group: str, topic: str) -> int:
    """The sum of `group`'s committed offsets over the partitions of `topic`."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=platform.bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topic) or set()
        offsets = [await consumer.committed(TopicPartition(topic, p)) for p in partitions]
    finally:
        await consumer.stop()
    return sum(offset or 0 for offset in offsets)


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (walking /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
