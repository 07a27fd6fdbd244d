"""The periodic reconciliations: re-publish requests for newly overdue designations, and the
digest rounds that find designations feedback never heard of (shared/reconciliation).

With several feedback instances on one database, one of them runs each round (an advisory
lock); the `not_requested_since` window keeps a later round from asking again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.overdue_queries import lead_reconciliation_round
from services.feedback.handlers.reconciliation import ReconciliationOutcome, request_republish
from services.feedback.settings import FeedbackSettings
from shared.reconciliation.rounds import Scope
from shared.reconciliation.worker import digest_worker
from shared.runtime import Runtime, Worker
from shared.stopping import sleep_unless_stopped

log = logging.getLogger(__name__)


async def reconciliation_round(
    runtime: Runtime, settings: FeedbackSettings, now: datetime
) -> ReconciliationOutcome | None:
    """Ask once more for overdue designations not requested within the interval; None when
    another instance is running the round."""
    async with runtime.unit_of_work() as uow:
        if not await lead_reconciliation_round(uow.session):
            return None
        outcome = await request_republish(
            uow.session,
            settings,
            as_of=now,
            reason="overdue_receipt",
            requested_by="reconciliation-worker",
            chunk_size=settings.reconciliation_chunk_size,
            not_requested_since=now - timedelta(seconds=settings.reconciliation_interval_s),
        )
        await uow.commit()
    return outcome


def reconciliation_worker(runtime: Runtime, settings: FeedbackSettings) -> Worker:
    """Every interval, one reconciliation round."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await sleep_unless_stopped(stop, settings.reconciliation_interval_s)
            if stop.is_set():
                return
            outcome = await reconciliation_round(runtime, settings, datetime.now(UTC))
            if outcome is not None and outcome.designation_ids:
                log.info(
                    "re-publish requested for overdue designations",
                    extra={
                        "designations": len(outcome.designation_ids),
                        "requests": len(outcome.request_ids),
                    },
                )

    return run


async def feedback_scope(session: AsyncSession) -> Scope:
    """Feedback holds every designation."""
    return Scope("feedback", None)


def digest_reconciliation_worker(runtime: Runtime) -> Worker:
    """Every RECONCILE_INTERVAL_S, digests compared with the initiator's: designations whose
    events never reached feedback are asked for again."""
    return digest_worker(runtime, feedback_scope)
