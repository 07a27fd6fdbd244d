"""Appending acts to the chain, in the transaction of the write they record.

`audit_append()` (shared/audit/migration_ops.py) takes a transaction-level advisory lock of the
database, reads the last entry and inserts after it, in one round trip; the lock is held until
the transaction ends, so entries are chained in commit order and replicas of one service append
safely. Call it as late as the write allows: other writers of the database wait from here to
the commit. A rolled-back write takes its entries with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.entries import Act, canonical_change, entry_body
from shared.tracing import current_trace_id

_APPEND = text(
    "SELECT audit_append(CAST(:bodies AS text[]), CAST(:actors AS text[]),"
    " CAST(:roles AS text[]), CAST(:departments AS text[]), CAST(:clients AS text[]),"
    " CAST(:request_id AS text), CAST(:actions AS text[]), CAST(:targets AS text[]),"
    " CAST(:changes AS text[]))"
)


async def append(session: AsyncSession, acts: Sequence[Act]) -> None:
    """Chain `acts` in their order after the database's last entry."""
    if not acts:
        return
    request_id = current_trace_id()
    changes = [canonical_change(act.change) for act in acts]
    bodies = [
        entry_body(
            actor=act.actor.actor,
            role=act.actor.role,
            department=act.actor.department,
            client=act.actor.client,
            request_id=request_id,
            action=act.action,
            target=act.target,
            change=change,
        )
        for act, change in zip(acts, changes, strict=True)
    ]
    await session.execute(
        _APPEND,
        {
            "bodies": bodies,
            "actors": [act.actor.actor for act in acts],
            "roles": [act.actor.role for act in acts],
            "departments": [act.actor.department for act in acts],
            "clients": [act.actor.client for act in acts],
            "request_id": request_id,
            "actions": [act.action for act in acts],
            "targets": [act.target for act in acts],
            "changes": changes,
        },
    )
