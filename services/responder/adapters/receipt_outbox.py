"""Receipts into the outbox, keyed by designation id, the envelope id being the receipt id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.domain.receipts import Receipt
from services.responder.settings import ResponderSettings
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope
from shared.topics import Topic
from shared.tracing import current_traceparent


def outgoing(
    settings: ResponderSettings, receipts: Sequence[Receipt], traceparent: str | None = None
) -> list[OutgoingEvent]:
    """The receipts as outbox events, in the trace of `traceparent` (default: the current one)."""
    topic = settings.topic(Topic.RECEIPTS)
    traceparent = traceparent or current_traceparent()
    events = []
    ids: dict[object, str] = {}  # a designation's receipts share it: formatted once
    for receipt in receipts:
        designation = receipt.data.designation_id
        designation_id = ids.get(designation) or ids.setdefault(designation, str(designation))
        envelope = Envelope(
            id=receipt.id,
            type=EVENT_TYPE_PREFIX + receipt.type.value,
            source=settings.receipt_source,
            time=receipt.data.recorded_at,
            subject=designation_id,
            data=receipt.data.model_dump(mode="json") | dict(receipt.extra),
            traceparent=traceparent,
        )
        events.append(OutgoingEvent(topic, designation_id, envelope))
    return events


async def send(
    session: AsyncSession, settings: ResponderSettings, receipts: Sequence[Receipt]
) -> None:
    await add_events(session, outgoing(settings, receipts))
