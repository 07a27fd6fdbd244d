"""One replica runs each round of a scheduled job: a PostgreSQL advisory lock per job.

Replicas of a service share one database and each runs the same workers. A job's round takes
the job's lock, at the session level on a connection of its own (a round may span several
transactions: the initiator's expiry works in batches), and releases it when the round ends —
PostgreSQL releases it too when that connection drops. A replica that does not get the lock
skips the round. The jobs are idempotent as well: a round that starts after another one
finished finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:job, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:job, 0))")


@asynccontextmanager
async def leading_round(engine: AsyncEngine, job: str) -> AsyncIterator[bool]:
    """Whether this replica runs this round of `job` (a name unique per database); the lock is
    held until the block ends."""
    async with engine.connect() as connection:
        led = bool(await connection.scalar(_TRY_LOCK, {"job": job}))
        await connection.commit()
        try:
            yield led
        finally:
            if led:
                try:
                    await connection.execute(_UNLOCK, {"job": job})
                    await connection.commit()
                except BaseException:
                    # never hand a connection still holding the lock back to the pool
                    await connection.invalidate()
                    raise
