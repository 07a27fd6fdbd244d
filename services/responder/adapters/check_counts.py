"""Checks counted per client and day (Asia/Shanghai), not logged one by one.

A check writes nothing (it is the hot path, answered from memory): each replica adds to counts
in memory and folds them into `check_counts` every `FLUSH_INTERVAL_S` and when it stops, by an
upsert that adds, so replicas count into the same rows. A replica that crashes loses at most
the counts of its last interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.responder.domain import clock
from shared.stopping import sleep_unless_stopped

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 5.0

_ADD = text(
    "INSERT INTO check_counts (client, day, checks)"
    " SELECT * FROM unnest(CAST(:clients AS text[]), CAST(:days AS date[]),"
    " CAST(:counts AS bigint[]))"
    " ON CONFLICT (client, day) DO UPDATE SET checks = check_counts.checks + excluded.checks"
)


class CheckCounts:
    def __init__(self) -> None:
        self._pending: Counter[tuple[str, date]] = Counter()

    def add(self, client: str, checks: int = 1) -> None:
        self._pending[(client, clock.today())] += checks

    async def flush(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Fold the counts held into the table; on failure they are kept for the next try."""
        pending, self._pending = self._pending, Counter()
        if not pending:
            return
        keys = sorted(pending)  # one order of rows, so two replicas' upserts never deadlock
        try:
            async with sessions() as session:
                await session.execute(
                    _ADD,
                    {
                        "clients": [client for client, _ in keys],
                        "days": [day for _, day in keys],
                        "counts": [pending[key] for key in keys],
                    },
                )
                await session.commit()
        except Exception as error:
            self._pending.update(pending)
            log.warning("check counts not saved yet", extra={"error": repr(error)})

    async def run(self, sessions: async_sessionmaker[AsyncSession], stop: asyncio.Event) -> None:
        """The worker: flush every interval, and once more when the service stops."""
        while not stop.is_set():
            await sleep_unless_stopped(stop, FLUSH_INTERVAL_S)
            await self.flush(sessions)
