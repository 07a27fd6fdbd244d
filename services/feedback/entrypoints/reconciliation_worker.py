"""The periodic reconciliation: re-publish requests for newly overdue designations."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from services.feedback.handlers.reconciliation import request_republish
from services.feedback.settings import FeedbackSettings
from shared.runtime import Runtime, Worker
from shared.stopping import sleep_unless_stopped

log = logging.getLogger(__name__)


def reconciliation_worker(runtime: Runtime, settings: FeedbackSettings) -> Worker:
    """Every interval, ask once more for designations not requested within the interval."""
    interval = settings.reconciliation_interval_s

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await sleep_unless_stopped(stop, interval)
            if stop.is_set():
                return
            now = datetime.now(UTC)
            async with runtime.unit_of_work() as uow:
                outcome = await request_republish(
                    uow.session,
                    settings,
                    as_of=now,
                    reason="overdue_receipt",
                    requested_by="reconciliation-worker",
                    chunk_size=settings.reconciliation_chunk_size,
                    not_requested_since=now - timedelta(seconds=interval),
                )
                await uow.commit()
            if outcome.designation_ids:
                log.info(
                    "re-publish requested for overdue designations",
                    extra={
                        "designations": len(outcome.designation_ids),
                        "requests": len(outcome.request_ids),
                    },
                )

    return run
