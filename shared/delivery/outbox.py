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

_ROWS = (
    "SELECT e.event_id, e.topic, e.key, e.value, e.headers "
    "FROM unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[]), CAST(:keys AS bytea[]), "
    "CAST(:values AS bytea[]), CAST(:headers AS jsonb[])) WITH ORDINALITY "
    "AS e(event_id, topic, key, value, headers, n) ORDER BY e.n"
)
_COLUMNS = "INSERT INTO outbox (event_id, topic, key, value, headers) "
_INSERT = text(_COLUMNS + _ROWS)
_NOTIFY = text(f"SELECT pg_notify('{OUTBOX_CHANNEL}', '')")
_INSERT_AND_NOTIFY = text(
    f"WITH added AS ({_COLUMNS}{_ROWS} RETURNING 1) SELECT pg_notify('{OUTBOX_CHANNEL}', '')"
)
_NOTIFIED_KEY = "outbox_notified_transaction"


@dataclass(frozen=True)
class OutgoingEvent:
    topic: str
    key: str | None
    envelope: Envelope


def _rows(events: Sequence[OutgoingEvent]) -> dict[str, list[object]]:
    """The events as the columns of one statement over arrays: a round trip for all of them,
    inserted in the order given (`WITH ORDINALITY`), so the relay keeps their order."""
    columns: dict[str, list[object]] = {
        "event_ids": [],
        "topics": [],
        "keys": [],
        "values": [],
        "headers": [],
    }
    for event in events:
        headers = [[name, value.decode()] for name, value in event.envelope.kafka_headers()]
        columns["event_ids"].append(event.envelope.id)
        columns["topics"].append(event.topic)
        columns["keys"].append(event.key.encode() if event.key is not None else None)
        columns["values"].append(event.envelope.to_bytes())
        columns["headers"].append(orjson.dumps(headers).decode())
    return columns


async def add_events(session: AsyncSession, events: Sequence[OutgoingEvent]) -> None:
    """Insert events into the outbox within the session's current transaction."""
    if not events:
        return
    transaction = session.sync_session.get_transaction()
    if session.info.get(_NOTIFIED_KEY) is transaction:
        await session.execute(_INSERT, _rows(events))
        return
    await session.execute(_INSERT_AND_NOTIFY, _rows(events))
    session.info[_NOTIFIED_KEY] = transaction


_RESEND = text(_COLUMNS + _ROWS + " ON CONFLICT (event_id) DO UPDATE SET sent_at = NULL")


async def resend_events(session: AsyncSession, events: Sequence[OutgoingEvent]) -> None:
    """Publish events again under their ids: a row still kept is marked unsent, a purged one
    is inserted anew (in the session's current transaction). An id given twice is sent once
    (one statement cannot update a row twice)."""
    if not events:
        return
    unique: dict[object, OutgoingEvent] = {}
    for event in events:
        unique.setdefault(event.envelope.id, event)
    await session.execute(_RESEND, _rows(list(unique.values())))
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
