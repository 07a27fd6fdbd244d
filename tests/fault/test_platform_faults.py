"""Faults of the real platform while designations flow: nothing lost, nothing applied twice.

One platform instance for the module (registry, initiator with its relay as a process of its
own, feedback, responders court, market and finance) on a PostgreSQL server and a broker of its
own. Each test injects faults while the load generator drives designations and their lifecycles
through the initiator's REST API, then waits until every invariant of
`tests/support/fault_invariants.py` holds, and shows that the duplicate path was exercised: the
consumers' `jointcredit_consumer_messages_total{outcome="duplicate"}` counters, summed over every
life of every process. The figures of the run are written to
`test-artifacts/reliability-figures.json` (RELIABILITY.md quotes them).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.topics import Topic
from tests.support.designation_load import DesignationLoad
from tests.support.events import unbundled
from tests.support.fault_invariants import Snapshot, converged
from tests.support.fault_platform import RESPONDERS, FaultPlatform
from tests.support.processes import REPO

pytestmark = [pytest.mark.fault, pytest.mark.timeout(300)]

FIGURES = REPO / "test-artifacts" / "reliability-figures.json"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fault_platform() -> AsyncIterator[FaultPlatform]:
    started = time.monotonic()
    platform = FaultPlatform()
    try:
        await asyncio.to_thread(platform.start)
        await platform.wait_catalogue_everywhere()
        platform.figures.started_in_s = round(time.monotonic() - started, 1)
        yield platform
        await _write_figures(platform, time.monotonic() - started)
        await platform.verify_audit_chains()
    finally:
        await asyncio.to_thread(platform.close)


@pytest.fixture(scope="module")
def load(fault_platform: FaultPlatform) -> DesignationLoad:
    load = DesignationLoad(fault_platform.url("initiator"), fault_platform.headers)
    fault_platform.figures.load = load.figures
    return load


def _duplicates(platform: FaultPlatform, *consumers: str) -> float:
    counted = platform.ledger.by_consumer("duplicate")
    return sum(counted.get(consumer, 0.0) for consumer in consumers)


def _responder_groups(platform: FaultPlatform, *departments: str) -> list[str]:
    return [f"{platform.layout.topic_prefix}responder-{d}" for d in departments]


async def _settle(platform: FaultPlatform, load: DesignationLoad, phase: str) -> Snapshot:
    assert not load.figures.errors, load.figures.errors[:5]
    found = await converged(platform)
    await platform.scrape_all()
    dead = platform.ledger.by_consumer("dead_lettered")
    assert not any(dead.values()), f"nothing may be dead-lettered: {dead}"
    platform.figures.phases[phase] = {
        "designations": len(found.designations),
        "receipts": found.receipts_sent,
        "duplicates_absorbed": sum(platform.ledger.by_consumer("duplicate").values()),
    }
    return found


async def test_the_relay_killed_at_random_and_between_publishing_and_marking(
    fault_platform: FaultPlatform, load: DesignationLoad
) -> None:
    platform = fault_platform
    async with load.flowing():
        await asyncio.sleep(2.0)
        platform.kill_relay()
        await asyncio.sleep(1.0)
        platform.start_relay(failpoints="relay.after_publish=kill")
        assert await asyncio.to_thread(platform.relay_exit) == -9, "killed by its failpoint"
        platform.start_relay()
        await asyncio.sleep(1.0)
    await _settle(platform, load, "relay")
    consumers = [*_responder_groups(platform, *RESPONDERS), "feedback"]
    assert _duplicates(platform, *consumers) > 0, "the re-published batch was absorbed"


async def test_each_consumer_killed_between_its_database_commit_and_its_offset_commit(
    fault_platform: FaultPlatform, load: DesignationLoad
) -> None:
    """responder-market, feedback and the initiator (catalogue and re-publish requests) each
    SIGKILL themselves right after committing a batch; restarted, they re-read it."""
    platform = fault_platform
    victims = ("responder-market", "feedback", "initiator")
    kill_after_commit = "consumer.after_db_commit=kill"
    async with load.flowing():
        await asyncio.sleep(1.0)
        await asyncio.gather(*(platform.restart(v, kill_after_commit) for v in victims))
        await platform.wait_ready("initiator")
        await _publish_a_catalogue_version(platform)
        codes = await asyncio.gather(*(platform.wait_exit(v) for v in victims))
        assert codes == [-9, -9, -9]
        await asyncio.gather(*(platform.restart(v) for v in victims))
        await platform.wait_ready(*victims)
        await asyncio.sleep(1.0)
    await _settle(platform, load, "consumers")
    counted = platform.ledger.by_consumer("duplicate")
    market = _responder_groups(platform, "market")[0]
    for consumer in ("feedback", "initiator"):
        assert counted.get(consumer, 0) > 0, f"{consumer} re-read its batch: {counted}"
    assert counted.get(market, 0) + counted.get(f"{market}.catalogue", 0) > 0, counted


async def test_services_sigkilled_at_arbitrary_moments(
    fault_platform: FaultPlatform, load: DesignationLoad
) -> None:
    """A responder, feedback and the initiator (its API: clients retry with their
    Idempotency-Key) killed with no warning while designations flow, and restarted."""
    platform = fault_platform
    retried = load.figures.retried
    async with load.flowing():
        for victim in ("responder-court", "feedback", "initiator"):
            await asyncio.sleep(1.5)
            await platform.kill(victim)
            await asyncio.sleep(0.5)
            await platform.restart(victim)
        await platform.wait_ready("responder-court", "feedback", "initiator")
        await asyncio.sleep(1.0)
    await _settle(platform, load, "sigkill")
    assert load.figures.retried > retried, "requests failed while the initiator was down"


async def test_postgresql_restarted_like_a_crash(
    fault_platform: FaultPlatform, load: DesignationLoad
) -> None:
    """responder-market and feedback are paused (SIGSTOP) while designations flow, so that they
    have a backlog to read when PostgreSQL goes down: they must wait for it, not dead-letter."""
    platform = fault_platform
    retried = load.figures.retried
    paused = ("responder-market", "feedback")
    async with load.flowing():
        for label in paused:
            platform.pause(label)
        await asyncio.sleep(2.5)
        try:
            await platform.restart_postgres(down_for_s=0.0, then=_resume(platform, paused))
        finally:
            for label in paused:
                platform.resume(label)
        await asyncio.sleep(3.0)
    await _settle(platform, load, "postgresql")
    assert load.figures.retried > retried, "requests failed while PostgreSQL was down"
    rewound = sum(platform.log_of(label).count("records will be read again") for label in paused)
    assert rewound > 0, "a consumer met the database down and read its records again"
    platform.figures.phases["postgresql"]["consumer_rewinds"] = rewound


async def _resume(platform: FaultPlatform, labels: tuple[str, ...]) -> None:
    """While PostgreSQL is down: the paused consumers read their backlog, and fail to apply it."""
    for label in labels:
        platform.resume(label)
    await asyncio.sleep(3.0)


async def test_broker_restarted_with_its_log_lost_then_reconciliation_converges(
    fault_platform: FaultPlatform, load: DesignationLoad
) -> None:
    """market and finance are down while designations flow; the broker then loses its log, so
    they never see those designations. Feedback knows them unanswered: its reconciliation
    (`broker_data_loss`) makes the initiator re-publish them; market and finance apply them, and
    court, which had answered, re-sends its receipts under the same ids (absorbed)."""
    platform = fault_platform
    for department in ("market", "finance"):
        await platform.kill(f"responder-{department}")
    async with load.flowing(at_least=20):
        await asyncio.sleep(3.0)
    await _until_feedback_and_court_hold_everything(platform)
    feedback_duplicates = _duplicates(platform, "feedback")
    await platform.restart_broker_losing_its_log(down_for_s=1.0)
    async with load.flowing():
        for department in ("market", "finance"):
            await platform.restart(f"responder-{department}")
        await platform.wait_ready("responder-market", "responder-finance")
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                f"{platform.url('feedback')}/v1/reconciliation",
                json={"reason": "broker_data_loss"},
                headers=platform.headers("oversight"),
            )
        assert response.status_code == 202, response.text
        requested = int(response.json()["designations"])
        assert requested >= 20, response.json()
        platform.figures.reconciliation_requested = requested
    await _settle(platform, load, "broker")
    assert _duplicates(platform, "feedback") > feedback_duplicates, "court's receipts re-sent"
    assert platform.ledger.total("jointcredit_responder_designation_events", outcome="resent"), (
        "court re-sent the receipts of versions it held"
    )


async def test_broker_restarted_with_its_log_lost_while_designations_flow(
    fault_platform: FaultPlatform, load: DesignationLoad
) -> None:
    """responder-finance and feedback are paused (SIGSTOP) for two seconds, so that events they
    had not read are lost with the log. The operator's procedure (RELIABILITY.md): re-publish
    every designation at the initiator (`POST /v1/republish {all: true}`), re-queue what each
    responder sent (`jointcredit outbox requeue`: receipts of superseded versions too), then
    feedback's reconciliation. Every responder and feedback converge to the latest versions and
    every receipt ever sent is stored once."""
    platform = fault_platform
    paused = ("responder-finance", "feedback")
    async with load.flowing():
        await asyncio.sleep(1.0)
        for label in paused:
            platform.pause(label)
        try:
            await asyncio.sleep(2.0)
            await platform.restart_broker_losing_its_log(down_for_s=1.0)
        finally:
            for label in paused:
                platform.resume(label)
        await asyncio.sleep(2.0)
    requeued = 0
    for department in RESPONDERS:
        requeued += await platform.requeue_outbox(
            platform.layout.database("responder", department), platform.topic(Topic.RECEIPTS)
        )
    platform.figures.phases["broker_flowing_requeued_receipts"] = {"receipts": requeued}
    async with httpx.AsyncClient(timeout=30) as http:
        republish = await http.post(
            f"{platform.url('initiator')}/v1/republish",
            json={"all": True, "reason": "broker_data_loss"},
            headers=platform.headers("oversight"),
        )
        assert republish.status_code == 202, republish.text
        reconciliation = await http.post(
            f"{platform.url('feedback')}/v1/reconciliation",
            json={"reason": "broker_data_loss"},
            headers=platform.headers("oversight"),
        )
        assert reconciliation.status_code == 202, reconciliation.text
    found = await _settle(platform, load, "broker_flowing")
    assert requeued > 0
    assert found.receipts_sent > 0  # and `converged` found every one of them stored once


async def _publish_a_catalogue_version(platform: FaultPlatform) -> None:
    """A harmless change (the region of a department not run) as the platform administrator:
    one more catalogue version every service consumes."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.patch(
            f"{platform.url('registry')}/v1/departments/railway",
            json={"region": f"测试区域{time.monotonic_ns() % 1000}"},
            headers=platform.headers("platform_admin"),
        )
    assert response.status_code == 200, response.text


async def _until_feedback_and_court_hold_everything(platform: FaultPlatform) -> None:
    """Feedback holds every designation at its latest version and every receipt court sent:
    what is left in the broker is only what market and finance have not read."""
    initiator = platform.layout.database("initiator")
    receipts = platform.topic(Topic.RECEIPTS)
    deadline = time.monotonic() + 90
    while True:
        truth = {
            r["id"]: r["version"]
            for r in await platform.fetch(initiator, "SELECT id, version FROM designations")
        }
        feedback = platform.layout.database("feedback")
        seen = {
            r["id"]: r["version"]
            for r in await platform.fetch(feedback, "SELECT id, version FROM designations")
        }
        stored = {
            r["receipt_id"]
            for r in await platform.fetch(feedback, "SELECT receipt_id FROM receipts")
        }
        sent = {
            uuid.UUID(receipt["id"])
            for r in await platform.fetch(
                platform.layout.database("responder", "court"),
                "SELECT value FROM outbox WHERE topic = $1",
                receipts,
            )
            for receipt in unbundled(json.loads(r["value"]))
        }
        if seen == truth and sent <= stored:
            return
        assert time.monotonic() < deadline, "feedback and court did not catch up"
        await asyncio.sleep(0.5)


async def _write_figures(platform: FaultPlatform, elapsed_s: float) -> None:
    await platform.scrape_all()
    load_figures: dict[str, Any] = {}
    if platform.figures.load is not None:
        load_figures = dataclasses.asdict(platform.figures.load)
    ledger = platform.ledger
    events = 0
    for database in [platform.layout.database("initiator")] + [
        platform.layout.database("responder", d) for d in RESPONDERS
    ]:
        events += int(await platform.fetchval(database, "SELECT count(*) FROM outbox"))
    figures = {
        "elapsed_s": round(elapsed_s, 1),
        "platform_started_in_s": platform.figures.started_in_s,
        "events_written": events,
        "kills": platform.figures.kills,
        "restarts": platform.figures.restarts,
        "duplicates_absorbed_by_consumer": ledger.by_consumer("duplicate"),
        "receipts_absorbed_by_feedback": ledger.total(
            "jointcredit_feedback_receipts", outcome="duplicate"
        ),
        "stale_or_resent_designation_events": {
            outcome: ledger.total("jointcredit_responder_designation_events", outcome=outcome)
            for outcome in ("stale", "resent")
        },
        "dead_lettered": ledger.by_consumer("dead_lettered"),
        "reconciliation_requested": platform.figures.reconciliation_requested,
        "phases": platform.figures.phases,
        "load": load_figures,
    }
    text = json.dumps(figures, ensure_ascii=False, indent=2) + "\n"
    await asyncio.to_thread(_write, FIGURES, text)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
