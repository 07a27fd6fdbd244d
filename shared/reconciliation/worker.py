"""The periodic workers: folding digest changes every few seconds (every service holding
designations) and, at feedback and each responder, a reconciliation round every
RECONCILE_INTERVAL_S."""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError

from shared.reconciliation.digests import fold_pending
from shared.reconciliation.rounds import ScopeReader, Suspects, reconciliation_round
from shared.reconciliation.settings import ReconcileSettings
from shared.runtime import Runtime, Worker
from shared.stopping import sleep_unless_stopped

log = logging.getLogger(__name__)

FOLD_INTERVAL_S = 5.0
"""Pending changes stay a few seconds' worth of writes, so a digest adds up few of them."""


async def _fold(runtime: Runtime) -> None:
    try:
        await fold_pending(runtime.sessions)
    except (SQLAlchemyError, OSError) as error:
        log.warning("folding digest changes failed", extra={"error": repr(error)})


def fold_worker(runtime: Runtime) -> Worker:
    """The initiator's: it answers digests, it compares none."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await _fold(runtime)
            await sleep_unless_stopped(stop, FOLD_INTERVAL_S)

    return run


def digest_worker(
    runtime: Runtime, scope_of: ScopeReader, settings: ReconcileSettings | None = None
) -> Worker:
    """Folding, and a round each interval (every replica tries; the one holding the lock runs
    it)."""
    settings = settings or ReconcileSettings.load()
    interval = settings.reconcile_interval_s
    suspects = Suspects()

    async def run(stop: asyncio.Event) -> None:
        next_round = time.monotonic() + interval
        while not stop.is_set():
            await _fold(runtime)
            if interval > 0 and time.monotonic() >= next_round:
                next_round = time.monotonic() + interval
                await _round(runtime, settings, scope_of, suspects)
            pause = FOLD_INTERVAL_S
            if interval > 0:
                pause = min(pause, max(0.0, next_round - time.monotonic()))
            await sleep_unless_stopped(stop, pause)

    return run


async def _round(
    runtime: Runtime, settings: ReconcileSettings, scope_of: ScopeReader, suspects: Suspects
) -> None:
    try:
        outcome = await reconciliation_round(runtime, settings, scope_of, suspects)
    except (SQLAlchemyError, OSError, KafkaError) as error:
        log.warning("reconciliation round failed", extra={"error": repr(error)})
        return
    if outcome is not None and outcome.requested:
        log.info(
            "re-publish requested for designations missing or behind",
            extra={
                "designations": len(outcome.requested),
                "buckets": len(outcome.mismatched_buckets),
            },
        )
