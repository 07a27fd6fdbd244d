"""Appending acts to the chain, in the transaction of the write they record.

The appender takes a transaction-level advisory lock of the database, reads the last entry and
inserts after it; the lock is held until the transaction ends, so entries are chained in commit
order and replicas of one service append safely. Call it as late as the write allows: other
writers of the database wait from here to the commit. A rolled-back write takes its entries
with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.entries import GENESIS_HASH, Act, canonical_change, entry_hash
from shared.audit.reading import audit_table
from shared.tracing import current_trace_id

AUDIT_LOCK = 0x6A63_6175  # advisory lock key of the chain, one per database

_LOCK = text("SELECT pg_advisory_xact_lock(:lock)")
# A statement of its own after the lock: under READ COMMITTED its snapshot then includes the
# entries of the transaction that held the lock before.
_HEAD = text(
    "SELECT clock_timestamp() AS at, last.sequence, last.hash FROM (SELECT 1) AS one"
    " LEFT JOIN (SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1) AS last"
    " ON true"
)


async def append(session: AsyncSession, acts: Sequence[Act]) -> None:
    """Chain `acts` in their order after the database's last entry (one statement for all)."""
    if not acts:
        return
    await session.execute(_LOCK, {"lock": AUDIT_LOCK})
    head = (await session.execute(_HEAD)).one()
    sequence, previous = head.sequence or 0, head.hash or GENESIS_HASH
    request_id = current_trace_id()
    rows = []
    for act in acts:
        sequence += 1
        fields = {
            "sequence": sequence,
            "at": head.at,
            "actor": act.actor.actor,
            "role": act.actor.role,
            "department": act.actor.department,
            "client": act.actor.client,
            "request_id": request_id,
            "action": act.action,
            "target": act.target,
            "change": canonical_change(act.change),
        }
        digest = entry_hash(previous, **fields)
        rows.append(fields | {"previous_hash": previous, "hash": digest})
        previous = digest
    await session.execute(insert(audit_table), rows)
