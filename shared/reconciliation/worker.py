"""The periodic worker running a consumer's reconciliation rounds every RECONCILE_INTERVAL_S."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from shared.reconciliation.rounds import ScopeReader, reconciliation_round
from shared.reconciliation.settings import ReconcileSettings
from shared.runtime import Runtime, Worker
from shared.stopping import sleep_unless_stopped

log = logging.getLogger(__name__)


def digest_worker(
    runtime: Runtime, scope_of: ScopeReader, settings: ReconcileSettings | None = None
) -> Worker:
    """A round each interval (every replica tries; the one holding the lock runs it)."""
    settings = settings or ReconcileSettings.load()

    async def run(stop: asyncio.Event) -> None:
        if settings.reconcile_interval_s <= 0:
            await stop.wait()
            return
        while not stop.is_set():
            await sleep_unless_stopped(stop, settings.reconcile_interval_s)
            if stop.is_set():
                return
            try:
                outcome = await reconciliation_round(runtime, settings, scope_of)
            except (SQLAlchemyError, OSError) as error:
                log.warning("reconciliation round failed", extra={"error": repr(error)})
                continue
            if outcome is not None and outcome.requested:
                log.info(
                    "re-publish requested for designations missing or behind",
                    extra={
                        "designations": len(outcome.requested),
                        "buckets": len(outcome.mismatched_buckets),
                    },
                )

    return run
