"""The expiry scheduler: active designations past their period end become expired.

It works from the database alone (no timers in memory), so a restart loses nothing: whatever
expired while the service was down is expired on its first pass. Of several replicas one runs
each round (an advisory lock per round, shared/persistence/job_rounds.py); rows are locked with
SKIP LOCKED besides, so that even two passes at once never expire a designation twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from services.initiator.adapters import designations_repo
from services.initiator.domain.dates import local_date
from services.initiator.domain.lifecycle import Action
from services.initiator.handlers import idempotency
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.recording import SCHEDULER, change, now
from shared.persistence.job_rounds import leading_round
from shared.stopping import sleep_unless_stopped

log = logging.getLogger(__name__)

EXPIRY_JOB = "initiator.expiry"

_INTERRUPT_STALE_IMPORTS = text(
    "UPDATE imports SET state = 'interrupted', finished_at = now(), "
    "failure = 'the import stopped making progress (the service stopped?); upload the file "
    "again: rows already imported are reported as already_present' "
    "WHERE state = 'running' AND heartbeat_at < now() - make_interval(secs => :stale)"
)


async def expire_due(context: InitiatorContext, today: date | None = None) -> int:
    """Expire every active designation whose last day is before `today` (Asia/Shanghai)."""
    day = today or local_date(now())
    batch = context.settings.expiry_batch_size
    total = 0
    while True:
        async with context.unit_of_work() as uow:
            rows = await designations_repo.lock_due_to_expire(uow.session, day, batch)
            for row in rows:
                await change(
                    uow.session,
                    context.settings,
                    row,
                    Action.expire,
                    SCHEDULER,
                    note=f"period ended {row.period_end}",
                )
            await uow.commit()
        total += len(rows)
        if len(rows) < batch:
            return total


async def housekeeping(context: InitiatorContext) -> None:
    async with context.unit_of_work() as uow:
        await idempotency.purge(uow.session, context.settings.idempotency_retention_hours)
        await uow.session.execute(
            _INTERRUPT_STALE_IMPORTS, {"stale": context.settings.import_stale_after_s}
        )
        await uow.commit()


async def expiry_round(context: InitiatorContext, today: date | None = None) -> int | None:
    """Expire what is due and clean up; None when another replica is running the round."""
    async with leading_round(context.runtime.engine, EXPIRY_JOB) as led:
        if not led:
            return None
        expired = await expire_due(context, today)
        await housekeeping(context)
        return expired


async def run_scheduler(context: InitiatorContext, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            expired = await expiry_round(context)
            if expired:
                log.info("designations expired", extra={"count": expired})
        except (SQLAlchemyError, OSError) as error:
            log.warning("expiry pass failed; retrying", extra={"error": repr(error)})
        await sleep_unless_stopped(stop, context.settings.expiry_interval_s)
