"""Continuous reconciliation: designations whose events never reached feedback or a responder
are found by comparing digests with the initiator's, asked for again, and afterwards the digests
match; when nothing is lost, rounds ask for nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from services.feedback.entrypoints.reconciliation_worker import feedback_scope
from services.responder.entrypoints.reconciliation_worker import department_scope
from shared.catalogue import Catalogue
from shared.delivery.outbox import add_events
from shared.events.envelope import Envelope
from shared.events.republish import REPUBLISH_REQUESTED, RepublishRequested
from shared.persistence.job_rounds import leading_round
from shared.reconciliation.answers import AnswerReader
from shared.reconciliation.digests import bucket_digests
from shared.reconciliation.messages import DigestRequested, request_event
from shared.reconciliation.rounds import (
    ROUND_JOB,
    RoundOutcome,
    ScopeReader,
    Suspects,
    reconciliation_round,
)
from shared.reconciliation.settings import ReconcileSettings
from shared.runtime import Runtime
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import seed_document
from tests.support.feedback import RunningFeedback, running_feedback
from tests.support.infra import settings_for
from tests.support.initiator import InitiatorHarness
from tests.support.kafka import read_until, wait_for
from tests.support.responder import ResponderHarness

pytestmark = pytest.mark.integration

DEPARTMENT = "market"
MEMORANDUM = "dishonest_judgment_debtors"
SETTLED = ReconcileSettings(reconcile_interval_s=0, reconcile_grace_s=60)
IMMEDIATE = ReconcileSettings(reconcile_interval_s=0, reconcile_grace_s=0)


@dataclass
class Platform:
    initiator: InitiatorHarness
    feedback: RunningFeedback
    responder: ResponderHarness
    responder_runtime: Runtime
    """a second runtime on the responder's database: the round reads nothing else"""
    feedback_suspects: Suspects = field(default_factory=Suspects)
    responder_suspects: Suspects = field(default_factory=Suspects)

    async def feedback_version(self, designation_id: uuid.UUID) -> int | None:
        found = await self.feedback.scalar(
            "SELECT version FROM designations WHERE id = :id", id=designation_id
        )
        return None if found is None else int(found)

    async def responder_version(self, designation_id: uuid.UUID) -> int | None:
        async with self.responder_runtime.unit_of_work() as uow:
            found = await uow.session.scalar(
                text("SELECT version FROM designations WHERE id = :id"), {"id": designation_id}
            )
        return None if found is None else int(found)

    async def wait_held(self, versions: dict[uuid.UUID, int]) -> None:
        """Until feedback and the responder hold each designation at least at its version."""

        async def held() -> bool:
            for designation_id, version in versions.items():
                for found in (
                    await self.feedback_version(designation_id),
                    await self.responder_version(designation_id),
                ):
                    if found is None or found < version:
                        return False
            return True

        await wait_for(held, timeout_s=60)

    async def feedback_round(self, settings: ReconcileSettings) -> RoundOutcome:
        return await _round(
            self.feedback.feedback.runtime, settings, feedback_scope, self.feedback_suspects
        )

    async def responder_round(self, settings: ReconcileSettings) -> RoundOutcome:
        return await _round(
            self.responder_runtime, settings, department_scope(DEPARTMENT), self.responder_suspects
        )

    async def lose(self, *, age: timedelta) -> uuid.UUID:
        """A designation written at the initiator whose event nobody will ever read (a copy of
        another one under a new id, with no outbox row), changed `age` ago."""
        designation_id = uuid.uuid4()
        await self.initiator.execute(
            "INSERT INTO designations SELECT (jsonb_populate_record(NULL::designations, "
            "to_jsonb(d) || jsonb_build_object('id', CAST(:id AS uuid), 'document_number', "
            "'lost-' || CAST(:id AS text), 'version', 1, 'updated_at', CAST(:changed_at AS timestamptz)))).* "
            "FROM designations AS d ORDER BY created_at LIMIT 1",
            id=str(designation_id),
            changed_at=datetime.now(UTC) - age,
        )
        return designation_id

    async def advance_silently(self, designation_id: uuid.UUID, by: int) -> None:
        """The initiator's version moves by `by` without an event (an event lost, or with a
        negative `by`, consumers ahead of it)."""
        await self.initiator.execute(
            "UPDATE designations SET version = version + :by, "
            "updated_at = now() - interval '1 hour' WHERE id = :id",
            by=by,
            id=designation_id,
        )

    async def initiator_digest(self, memoranda: tuple[str, ...] | None) -> dict[int, Any]:
        async with self.initiator.initiator.context.unit_of_work() as uow:
            return await bucket_digests(uow.session, memoranda)

    async def consumer_digest(self, runtime: Runtime, scope: ScopeReader) -> dict[int, Any]:
        async with runtime.unit_of_work() as uow:
            found = await scope(uow.session)
            assert found is not None
            return await bucket_digests(uow.session, found.memoranda)


async def _round(
    runtime: Runtime, settings: ReconcileSettings, scope: ScopeReader, suspects: Suspects
) -> RoundOutcome:
    outcome = await reconciliation_round(runtime, settings, scope, suspects)
    assert outcome is not None
    assert outcome.answered
    return outcome


def owed_memoranda() -> tuple[str, ...]:
    catalogue = Catalogue.from_document(seed_document(), 1)
    return tuple(
        sorted(c for c in catalogue.memoranda if DEPARTMENT in catalogue.departments_owing(c))
    )


@asynccontextmanager
async def platform(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> AsyncIterator[Platform]:
    """The initiator (serving re-publish and digest requests), feedback and one responder on
    one topic prefix, with the seed catalogue."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    async with (
        InitiatorHarness(
            database_url, bootstrap, authority, consume=True, topic_prefix=prefix
        ) as initiator,
        ResponderHarness(
            database_url, bootstrap, authority, DEPARTMENT, topic_prefix=prefix
        ) as responder,
        running_feedback(database_url, bootstrap, authority, topic_prefix=prefix) as feedback,
    ):
        await feedback.wait_catalogue(1)
        runtime = Runtime.create(responder.settings)
        try:
            yield Platform(initiator, feedback, responder, runtime)
        finally:
            await runtime.engine.dispose()


async def republish_requests(platform: Platform, expected: set[uuid.UUID]) -> set[uuid.UUID]:
    """The ids of the `digest_mismatch` re-publish requests on the broker, once `expected`
    are among them (or time is up)."""

    def ids(records: list[Any]) -> set[uuid.UUID]:
        envelopes = [Envelope.parse(record.value) for record in records]
        requests = [
            RepublishRequested.model_validate(e.data)
            for e in envelopes
            if e.type.endswith(REPUBLISH_REQUESTED)
        ]
        return {
            i for r in requests if r.reason == "digest_mismatch" for i in r.designation_ids or ()
        }

    records = await read_until(
        platform.initiator.bootstrap,
        platform.initiator.settings.topic(Topic.REPUBLISH_REQUESTS),
        lambda found: expected <= ids(found),
    )
    return ids(records)


async def test_lost_designations_are_found_asked_for_and_the_digests_then_match(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    assert MEMORANDUM in owed_memoranda()
    async with platform(database_url, bootstrap, authority) as p:
        delivered = [uuid.UUID((await p.initiator.designate())["id"]) for _ in range(3)]
        await p.wait_held(dict.fromkeys(delivered, 1))

        for steady in (await p.feedback_round(IMMEDIATE), await p.responder_round(IMMEDIATE)):
            assert (steady.mismatched_buckets, steady.requested) == ([], [])

        lost_for_all = [await p.lose(age=timedelta(hours=1)) for _ in range(3)]
        behind = delivered[0]
        await p.advance_silently(behind, 1)
        in_flight = await p.lose(age=timedelta(0))
        suspected = await p.responder_round(SETTLED)
        assert sorted(suspected.missing) == sorted([*lost_for_all, behind])
        assert suspected.requested == []
        assert 1 <= len(suspected.mismatched_buckets) <= 5
        found_by_responder = await p.responder_round(SETTLED)
        assert sorted(found_by_responder.requested) == sorted([*lost_for_all, behind])
        assert len(found_by_responder.request_ids) == 1
        await p.wait_held({**dict.fromkeys(lost_for_all, 1), behind: 2})

        lost_again = [await p.lose(age=timedelta(hours=1)) for _ in range(2)]
        assert sorted((await p.feedback_round(SETTLED)).missing) == sorted(lost_again)
        assert sorted((await p.feedback_round(SETTLED)).requested) == sorted(lost_again)
        await p.wait_held(dict.fromkeys(lost_again, 1))
        assert await p.feedback_version(in_flight) is None

        assert (await p.feedback_round(IMMEDIATE)).missing == [in_flight]
        assert (await p.feedback_round(IMMEDIATE)).requested == [in_flight]
        await p.wait_held({in_flight: 1})
        for settled in (await p.feedback_round(IMMEDIATE), await p.responder_round(IMMEDIATE)):
            assert (settled.mismatched_buckets, settled.requested) == ([], [])
        assert await p.initiator_digest(None) == await p.consumer_digest(
            p.feedback.feedback.runtime, feedback_scope
        )
        assert await p.initiator_digest(owed_memoranda()) == await p.consumer_digest(
            p.responder_runtime, department_scope(DEPARTMENT)
        )

        await p.advance_silently(behind, -1)
        ahead = await p.feedback_round(IMMEDIATE)
        assert (len(ahead.mismatched_buckets), ahead.requested) == (1, [])

        asked = {*lost_for_all, *lost_again, behind, in_flight}
        assert await republish_requests(p, asked) == asked

        async with leading_round(p.responder_runtime.engine, ROUND_JOB) as led:
            assert led
            skipped = await reconciliation_round(
                p.responder_runtime, IMMEDIATE, department_scope(DEPARTMENT), Suspects()
            )
            assert skipped is None


def rounds(requester: str, outcome: str) -> float:
    found = REGISTRY.get_sample_value(
        "jointcredit_reconciliation_rounds_total", {"requester": requester, "outcome": outcome}
    )
    return found or 0.0


def requested(requester: str) -> float:
    found = REGISTRY.get_sample_value(
        "jointcredit_reconciliation_requested_total", {"requester": requester}
    )
    return found or 0.0


async def test_the_workers_find_lost_designations_by_themselves_then_ask_for_nothing(
    database_url: str, bootstrap: str, authority: TestAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILE_INTERVAL_S", "0.3")
    monkeypatch.setenv("RECONCILE_GRACE_S", "0")
    requesters = ("feedback", f"responder:{DEPARTMENT}")
    async with platform(database_url, bootstrap, authority) as p:
        await p.initiator.designate()
        lost = [await p.lose(age=timedelta(hours=1)) for _ in range(3)]
        await p.wait_held(dict.fromkeys(lost, 1))

        async def matched_rounds(more: int) -> None:
            start = {r: rounds(r, "matched") for r in requesters}
            await wait_for(
                lambda: all(rounds(r, "matched") >= start[r] + more for r in requesters),
                timeout_s=60,
            )

        await matched_rounds(1)
        asked = {requester: requested(requester) for requester in requesters}
        await matched_rounds(3)
        assert {r: requested(r) for r in requesters} == asked
        assert sum(asked.values()) >= len(lost)


async def test_the_initiator_skips_digest_requests_nobody_waits_for(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    """An initiator reading a backlog of requests (it was down) answers only live ones."""
    async with InitiatorHarness(database_url, bootstrap, authority, consume=True) as initiator:
        await initiator.designate()
        now = datetime.now(UTC)
        expired, waited = (
            DigestRequested(
                request_id=uuid.uuid4(), requester="test", expires_at=now + timedelta(minutes=m)
            )
            for m in (-1, 1)
        )
        async with initiator.initiator.context.unit_of_work() as uow:
            await add_events(
                uow.session, [request_event(initiator.settings, r) for r in (expired, waited)]
            )
            await uow.commit()

        async def answers(request: DigestRequested) -> int:
            return int(
                await initiator.scalar(
                    "SELECT count(*) FROM outbox WHERE topic = :topic AND key = :key",
                    topic=initiator.settings.topic(Topic.DIGESTS),
                    key=str(request.request_id).encode(),
                )
            )

        await wait_for(lambda: answers(waited), timeout_s=60)
        assert await answers(expired) == 0


async def test_a_missing_digests_topic_is_created_with_the_configured_partitions(
    database_url: str, bootstrap: str
) -> None:
    """After a broker lost its log the topic may be gone until the initiator answers, and the
    answer comes only once the reader is positioned: the reader creates it."""
    settings = settings_for(
        database_url, bootstrap, "unused", topic_prefix=f"t{uuid.uuid4().hex[:8]}."
    )
    async with AnswerReader(settings, timeout_s=30) as reader:
        assert len(reader.partitions) == settings.topic_partitions
