"""The idempotent inbox: `(consumer, event_id)` is a primary key inserted with the effect."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_CLAIM = text(
    "INSERT INTO inbox (consumer, event_id, event_type) "
    "SELECT :consumer, e.id, e.type "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) AS e(id, type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


async def claim(
    session: AsyncSession, consumer: str, events: Sequence[tuple[uuid.UUID, str]]
) -> set[uuid.UUID]:
    """Record the events as processed by `consumer`; returns the ids that were new.

    Inserted in the caller's transaction: if the effect rolls back, so does the claim. The ids
    go in sorted: two replicas claiming overlapping batches (a rebalance re-delivers a poll to
    the new owner while the old one still applies it) then wait on each other's rows in one
    order and never deadlock.
    """
    if not events:
        return set()
    ordered = sorted(dict(events).items())
    result = await session.execute(
        _CLAIM,
        {
            "consumer": consumer,
            "ids": [str(event_id) for event_id, _ in ordered],
            "types": [event_type for _, event_type in ordered],
        },
    )
    return {row[0] for row in result}
