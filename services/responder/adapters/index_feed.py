"""The check index's change feed: one row per committed change, in commit order.

Every replica of a department keeps the whole check index in memory, but a consumer group
hands each replica only some partitions of the designation events: the index cannot be fed by
what a replica happens to consume. So the replica that applies a batch adds one row here in
the same transaction, naming the subjects whose entries changed (or the catalogue version it
adopted), and every replica — itself included — follows the table and re-reads those subjects'
measures in force from the database (index_follower.py).

The writer takes a transaction-level advisory lock just before its insert, held until commit:
sequence numbers are then handed out in commit order, so a follower that has read sequence N
never sees a smaller one appear later (a writer that rolls back leaves a gap, never a late row).
The lock is held only from the insert to the commit, the last statements of a batch.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CHANNEL = "index_changes"
FEED_LOCK_ID = 0x6A63_6978  # one per database: every replica of the department shares it

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_INSERT = text(
    "INSERT INTO index_changes (subject_ids, catalogue_version, written_by, changed_at) "
    "VALUES (CAST(:subject_ids AS text[]), :catalogue_version, :written_by, clock_timestamp())"
)
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")

_SINCE = """
SELECT sequence, subject_ids, catalogue_version, changed_at, written_by FROM index_changes
WHERE sequence > $1 ORDER BY sequence LIMIT $2
"""
_LAST = """
SELECT greatest(
  coalesce((SELECT max(sequence) FROM index_changes), 0),
  (SELECT purged_through FROM index_change_horizon WHERE id = 1)
)
"""
_HORIZON = "SELECT purged_through FROM index_change_horizon WHERE id = 1"
_PURGE = """
WITH gone AS (
  DELETE FROM index_changes WHERE changed_at < now() - make_interval(secs => $1)
  RETURNING sequence
)
UPDATE index_change_horizon
SET purged_through = greatest(purged_through, coalesce((SELECT max(sequence) FROM gone), 0))
WHERE id = 1
"""


WRITER = f"{socket.gethostname()}/{os.getpid()}"
"""This process, as the feed names the replica that wrote a change (its pod, in Kubernetes)."""


async def record_change(
    session: AsyncSession, subject_ids: Iterable[str], catalogue_version: int | None = None
) -> None:
    """Add a change in the session's transaction: the last statement before its commit (its
    time, `clock_timestamp()`, is then the commit's to within that statement)."""
    subjects = sorted(set(subject_ids))
    if not subjects and catalogue_version is None:
        return
    await session.execute(_LOCK, {"key": FEED_LOCK_ID})
    await session.execute(
        _INSERT,
        {"subject_ids": subjects, "catalogue_version": catalogue_version, "written_by": WRITER},
    )
    await session.execute(_NOTIFY)


@dataclass(frozen=True)
class Change:
    sequence: int
    subject_ids: list[str]
    catalogue_version: int | None
    changed_at: datetime
    written_by: str


async def changes_since(connection: asyncpg.Connection, sequence: int, limit: int) -> list[Change]:
    rows = await connection.fetch(_SINCE, sequence, limit)
    return [Change(row[0], list(row[1]), row[2], row[3], row[4]) for row in rows]


async def last_sequence(connection: asyncpg.Connection) -> int:
    """The newest change visible to the connection's transaction (or purged before it: a
    snapshot taken when the feed is empty is still past the horizon)."""
    return int(await connection.fetchval(_LAST))


async def purged_through(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval(_HORIZON) or 0)


async def purge(connection: asyncpg.Connection, older_than_s: float) -> None:
    """Drop changes older than `older_than_s`, and move the horizon past them."""
    await connection.execute(_PURGE, older_than_s)
