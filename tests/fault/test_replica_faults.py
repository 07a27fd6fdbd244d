"""Every workload as two replicas, one SIGKILLed at a time while designations flow.

The platform of `jointcredit up` on servers of its own, with two processes each of the
initiator, feedback and every responder (court, market, finance), as two pods of each workload
would run. The load goes round both initiator replicas (a retry goes to the other, as behind a
load balancer). One replica at a time is SIGKILLed and started again; the other keeps serving.
Then every invariant of `tests/support/fault_invariants.py` must hold — with the check API of
**every** replica of every responder asked for every subject and responsible person, so a
replica whose index missed the designations its partner consumed would be caught — and
PostgreSQL must have seen no deadlock in feedback's database. The figures go to
`test-artifacts/replica-figures.json` (RELIABILITY.md quotes them).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.support.designation_load import DesignationLoad
from tests.support.fault_invariants import converged
from tests.support.fault_platform import RESPONDERS, FaultPlatform
from tests.support.processes import REPO

pytestmark = [pytest.mark.fault, pytest.mark.timeout(420)]

FIGURES = REPO / "test-artifacts" / "replica-figures.json"
VICTIMS = (
    "responder-court",
    "feedback",
    "responder-market-2",
    "initiator",
    "responder-finance",
    "feedback-2",
    "responder-court-2",
    "initiator-2",
)
"""One replica at a time, each workload's first and second replica in turn."""

_DEADLOCKS = "SELECT deadlocks FROM pg_stat_database WHERE datname = $1"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def replicated() -> AsyncIterator[FaultPlatform]:
    platform = FaultPlatform(replicas=2)
    started = time.monotonic()
    try:
        await asyncio.to_thread(platform.start)
        await platform.wait_catalogue_everywhere()
        platform.figures.started_in_s = round(time.monotonic() - started, 1)
        yield platform
        await platform.verify_audit_chains()
    finally:
        await asyncio.to_thread(platform.close)


async def test_one_replica_at_a_time_sigkilled_under_load(replicated: FaultPlatform) -> None:
    platform = replicated
    feedback_db = platform.layout.database("feedback")
    deadlocks_before = int(await platform.fetchval("postgres", _DEADLOCKS, feedback_db) or 0)
    load = DesignationLoad(
        platform.url("initiator"),
        platform.headers,
        seed=17,
        other_urls=(platform.url("initiator-2"),),
    )
    async with load.flowing(every_s=0.1, at_least=60):
        for victim in VICTIMS:
            await asyncio.sleep(1.5)
            await platform.kill(victim)
            await asyncio.sleep(1.0)
            await platform.restart(victim)
            await platform.wait_ready(victim)
        await asyncio.sleep(1.0)
    load_ended = time.monotonic()
    assert not load.figures.errors, load.figures.errors[:5]
    found = await converged(platform, timeout_s=120)
    converged_in_s = round(time.monotonic() - load_ended, 1)
    await platform.scrape_all()
    dead = platform.ledger.by_consumer("dead_lettered")
    assert not any(dead.values()), f"nothing may be dead-lettered: {dead}"
    deadlocks = int(await platform.fetchval("postgres", _DEADLOCKS, feedback_db) or 0)
    assert deadlocks == deadlocks_before, "feedback's replicas deadlocked"
    replicas = sum(len(platform.replica_labels(f"responder-{d}")) for d in RESPONDERS)
    figures = {
        "designations": len(found.designations),
        "transitions": load.figures.transitions,
        "receipts_sent_and_stored_once": found.receipts_sent,
        "kills": platform.figures.kills,
        "responder_replicas_checked": replicas,
        "subjects_checked_per_replica": len(
            {d.subject.id for d in found.designations.values()}
            | {p.id for d in found.designations.values() for p in d.persons}
        ),
        "wrong_answers_at_convergence": len(found.problems),
        "feedback_deadlocks": deadlocks - deadlocks_before,
        "converged_after_load_s": converged_in_s,
        "requests_retried": load.figures.retried,
        "duplicates_absorbed_by_consumer": platform.ledger.by_consumer("duplicate"),
    }
    await asyncio.to_thread(_write, json.dumps(figures, ensure_ascii=False, indent=2) + "\n")


def _write(text: str) -> None:
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(text)
