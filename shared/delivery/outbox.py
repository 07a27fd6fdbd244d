"""Writing events to the outbox in the caller's transaction, and re-queuing sent rows.

The relay is woken by a NOTIFY that PostgreSQL delivers only when the transaction commits, so a
rolled-back event neither publishes nor wakes anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.delivery.tables import OUTBOX_CHANNEL
from shared.events.envelope import Envelope

_INSERT = text(
    "INSERT INTO outbox (event_id, topic, key, value, headers) "
    "VALUES (:event_id, :topic, :key, :value, CAST(:headers AS jsonb))"
)
_NOTIFY = text(f"SELECT pg_notify('{OUTBOX_CHANNEL}', '')")
_NOTIFIED_KEY = "outbox_notified_transaction"


@dataclass(frozen=True)
class OutgoingEvent:
    topic: str
    key: str | None
    envelope: Envelope


def _row(event: OutgoingEvent) -> dict[str, object]:
    headers = [[name, value.decode()] for name, value in event.envelope.kafka_headers()]
    return {
        "event_id": event.envelope.id,
        "topic": event.topic,
        "key": event.key.encode() if event.key is not None else None,
        "value": event.envelope.to_bytes(),
        "headers": orjson.dumps(headers).decode(),
    }


async def add_events(session: AsyncSession, events: Sequence[OutgoingEvent]) -> None:
    """Insert events into the outbox within the session's current transaction."""
    if not events:
        return
    await session.execute(_INSERT, [_row(event) for event in events])
    transaction = session.sync_session.get_transaction()
    if session.info.get(_NOTIFIED_KEY) is not transaction:
        await session.execute(_NOTIFY)
        session.info[_NOTIFIED_KEY] = transaction


_RESEND = text(
    "INSERT INTO outbox (event_id, topic, key, value, headers) "
    "VALUES (:event_id, :topic, :key, :value, CAST(:headers AS jsonb)) "
    "ON CONFLICT (event_id) DO UPDATE SET sent_at = NULL"
)


async def resend_events(session: AsyncSession, events: Sequence[OutgoingEvent]) -> None:
    """Publish events again under their ids: a row still kept is marked unsent, a purged one
    is inserted anew (in the session's current transaction)."""
    if not events:
        return
    await session.execute(_RESEND, [_row(event) for event in events])
    await session.execute(_NOTIFY)


async def add_event(session: AsyncSession, topic: str, key: str | None, envelope: Envelope) -> None:
    await add_events(session, [OutgoingEvent(topic, key, envelope)])


async def requeue_sent(session: AsyncSession, since: datetime, topic: str | None = None) -> int:
    """Mark rows sent since `since` as unsent, so the relay publishes them again in order."""
    clause = " AND topic = :topic" if topic else ""
    result = await session.execute(
        text(f"UPDATE outbox SET sent_at = NULL WHERE sent_at >= :since{clause}"),
        {"since": since, "topic": topic} if topic else {"since": since},
    )
    await session.execute(_NOTIFY)
    return int(result.rowcount)  # type: ignore[attr-defined]
