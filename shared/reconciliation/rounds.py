"""One reconciliation round of a consumer of designations (feedback, a responder).

The consumer asks the initiator for the digest of the designations it should hold, compares it
with its own, narrows the buckets that differ to ids (the initiator's (id, version) pairs in
those buckets against its own) and asks for the re-publication of the designations it lacks or
holds at an older version. A designation held at a newer or equal version is fine; one the
initiator changed less than `RECONCILE_GRACE_S` ago (by the initiator's clock) is left for a
later round, as its event may still be on its way; and one is asked for only when two
consecutive rounds found it missing (`Suspects`), so that a consumer catching up on a backlog
(back after hours down) does not ask for what it is about to read. One replica runs a round at
a time (a session-level advisory lock on the consumer's database).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.delivery.outbox import add_events
from shared.events.republish import RepublishRequested, republish_request_event
from shared.persistence.job_rounds import leading_round
from shared.reconciliation import metrics
from shared.reconciliation.answers import AnswerReader, Unanswered
from shared.reconciliation.digests import bucket_digests, bucket_entries
from shared.reconciliation.messages import DigestAnswered, DigestRequested, request_event
from shared.reconciliation.settings import ReconcileSettings
from shared.runtime import Runtime

log = logging.getLogger(__name__)

ROUND_JOB = "digest-reconciliation"
"""Its advisory lock (`leading_round`): one round at a time per consumer database."""
BUCKETS_PER_REQUEST = 32
"""Mismatched buckets narrowed per request: about 77,000 pairs at 10 million designations."""
IDS_PER_REPUBLISH_REQUEST = 500


@dataclass(frozen=True)
class Scope:
    """What a consumer holds: the designations of `memoranda` (None: all of them)."""

    requester: str
    memoranda: tuple[str, ...] | None


ScopeReader = Callable[[AsyncSession], Awaitable[Scope | None]]


@dataclass
class Suspects:
    """The ids the previous round this process led found missing; a replica that takes the
    lead next starts with none, and waits one round more."""

    ids: set[uuid.UUID] = field(default_factory=set)


@dataclass
class RoundOutcome:
    requester: str
    answered: bool = True
    mismatched_buckets: list[int] = field(default_factory=list)
    missing: list[uuid.UUID] = field(default_factory=list)
    """missing or behind past the grace in this round"""
    requested: list[uuid.UUID] = field(default_factory=list)
    """of those, the ones the previous round found missing too"""
    request_ids: list[uuid.UUID] = field(default_factory=list)


async def reconciliation_round(
    runtime: Runtime, settings: ReconcileSettings, scope_of: ScopeReader, suspects: Suspects
) -> RoundOutcome | None:
    """One round; None when another replica is running one, or there is nothing to compare."""
    async with leading_round(runtime.engine, ROUND_JOB) as led:
        if not led:
            return None
        return await _led_round(runtime, settings, scope_of, suspects)


async def _led_round(
    runtime: Runtime, settings: ReconcileSettings, scope_of: ScopeReader, suspects: Suspects
) -> RoundOutcome | None:
    async with runtime.unit_of_work() as uow:
        scope = await scope_of(uow.session)
    if scope is None:
        return None
    outcome = RoundOutcome(scope.requester)
    try:
        async with AnswerReader(runtime.settings, settings.reconcile_answer_timeout_s) as reader:
            missing = await _compare(runtime, settings, reader, scope, outcome)
    except Unanswered as error:
        log.warning("reconciliation round unanswered", extra={"error": str(error)})
        metrics.ROUNDS.labels(scope.requester, "unanswered").inc()
        outcome.answered = False
        return outcome
    outcome.missing = missing
    outcome.requested = [i for i in missing if i in suspects.ids]
    suspects.ids = set(missing) - set(outcome.requested)
    outcome.request_ids = await _request_republish(runtime, outcome.requested)
    metrics.ROUNDS.labels(scope.requester, _kind(outcome)).inc()
    metrics.MISMATCHED_BUCKETS.labels(scope.requester).inc(len(outcome.mismatched_buckets))
    metrics.REQUESTED.labels(scope.requester).inc(len(outcome.requested))
    return outcome


def _kind(outcome: RoundOutcome) -> str:
    if outcome.requested:
        return "requested"
    if outcome.missing:
        return "suspected"
    return "narrowed" if outcome.mismatched_buckets else "matched"


async def _compare(
    runtime: Runtime,
    settings: ReconcileSettings,
    reader: AnswerReader,
    scope: Scope,
    outcome: RoundOutcome,
) -> list[uuid.UUID]:
    """The ids to ask for again: the initiator's digest first (so that ours is taken after it,
    when the events it counts had time to arrive), then the differing buckets' pairs."""
    (answer,) = await _ask(runtime, reader, scope, None)
    theirs = answer.bucket_digests()
    async with runtime.unit_of_work() as uow:
        ours = await bucket_digests(uow.session, scope.memoranda)
    outcome.mismatched_buckets = sorted(
        bucket for bucket in theirs.keys() | ours.keys() if theirs.get(bucket) != ours.get(bucket)
    )
    missing: list[uuid.UUID] = []
    for start in range(0, len(outcome.mismatched_buckets), BUCKETS_PER_REQUEST):
        buckets = outcome.mismatched_buckets[start : start + BUCKETS_PER_REQUEST]
        parts = await _ask(runtime, reader, scope, tuple(buckets))
        settled_before = parts[0].taken_at - timedelta(seconds=settings.reconcile_grace_s)
        async with runtime.unit_of_work() as uow:
            held = {
                entry.id: entry.version
                for entry in await bucket_entries(uow.session, buckets, scope.memoranda)
            }
        missing.extend(
            entry.id
            for part in parts
            for entry in part.entry_list()
            if held.get(entry.id, 0) < entry.version
            and entry.changed_at is not None
            and entry.changed_at <= settled_before
        )
    return missing


async def _ask(
    runtime: Runtime, reader: AnswerReader, scope: Scope, buckets: tuple[int, ...] | None
) -> list[DigestAnswered]:
    request = DigestRequested(
        request_id=uuid.uuid4(),
        requester=scope.requester,
        memorandum_codes=scope.memoranda,
        buckets=buckets,
        expires_at=datetime.now(UTC) + timedelta(seconds=reader.timeout_s),
    )
    async with runtime.unit_of_work() as uow:
        await add_events(uow.session, [request_event(runtime.settings, request)])
        await uow.commit()
    return await reader.answers(request.request_id)


async def _request_republish(runtime: Runtime, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The existing re-publish request, reason `digest_mismatch`, per batch of ids."""
    now = datetime.now(UTC)
    requests = [
        RepublishRequested(
            request_id=uuid.uuid4(),
            designation_ids=tuple(ids[start : start + IDS_PER_REPUBLISH_REQUEST]),
            reason="digest_mismatch",
            requested_at=now,
        )
        for start in range(0, len(ids), IDS_PER_REPUBLISH_REQUEST)
    ]
    if requests:
        async with runtime.unit_of_work() as uow:
            await add_events(
                uow.session, [republish_request_event(runtime.settings, r) for r in requests]
            )
            await uow.commit()
    return [request.request_id for request in requests]
