"""Receipts into the outbox, keyed by the designation's subject, as the designation events are.

The same key, and the same partition count, put a designation's receipts in the partition of
the same number as its events: feedback's instances (range assignor) each get both, and two of
them never write one designation at once. Without the subject (a caller that does not give
it) the key is the designation id, as before; feedback reads receipts whatever their key.

The receipts given about one designation go as one `receipt.bundle.v1` event when there are
several (a designation version's received, applied and not-applicable receipts: one message
instead of a dozen), as their own event when alone (an enforcement). A lone receipt's envelope
id is its receipt id; a bundle's is derived from the ids of the receipts it carries, so sending
the same receipts again gives the same envelope id and a consumer's inbox recognises it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters.tables import designations
from services.responder.domain.receipts import Receipt
from services.responder.settings import ResponderSettings
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope
from shared.events.receipts import RECEIPT_BUNDLE
from shared.topics import Topic
from shared.tracing import current_traceparent

BUNDLE_NAMESPACE = uuid.UUID("0d6b1f4e-7c2a-5b9e-8d3f-4a5b6c7d8e9f")


def bundle_id(receipt_ids: Sequence[uuid.UUID]) -> uuid.UUID:
    """The same receipts, in whatever order, give the same bundle id."""
    return uuid.uuid5(BUNDLE_NAMESPACE, "|".join(sorted(str(id_) for id_ in receipt_ids)))


def outgoing(
    settings: ResponderSettings,
    receipts: Sequence[Receipt],
    traceparent: str | None = None,
    subjects: Mapping[uuid.UUID, str] | None = None,
) -> list[OutgoingEvent]:
    """The receipts as outbox events, one per designation, in the trace of `traceparent`
    (default: the current one), keyed by the subject `subjects` gives for each designation."""
    subjects = subjects or {}
    topic = settings.topic(Topic.RECEIPTS)
    traceparent = traceparent or current_traceparent()
    by_designation: dict[uuid.UUID, list[Receipt]] = {}
    for receipt in receipts:
        by_designation.setdefault(receipt.designation_id, []).append(receipt)
    events = []
    for designation, together in by_designation.items():
        designation_id = str(designation)
        first = together[0]
        if len(together) == 1:
            id_, event_type, data = first.id, first.type.value, first.payload
        else:
            id_, event_type = bundle_id([receipt.id for receipt in together]), RECEIPT_BUNDLE
            data = {
                "department_code": first.department_code,
                "designation_id": designation_id,
                "receipts": [
                    {"type": receipt.type.value, "data": receipt.payload} for receipt in together
                ],
            }
        envelope = Envelope(
            id=id_,
            type=EVENT_TYPE_PREFIX + event_type,
            source=settings.receipt_source,
            time=first.recorded_at,
            subject=designation_id,
            data=data,
            traceparent=traceparent,
        )
        key = subjects.get(designation, designation_id)
        events.append(OutgoingEvent(topic, key, envelope))
    return events


async def subjects_of(
    session: AsyncSession, designation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The subject of each designation held among `designation_ids`."""
    result = await session.execute(
        select(designations.c.id, designations.c.subject_id).where(
            designations.c.id.in_(set(designation_ids))
        )
    )
    return {row.id: row.subject_id for row in result}


async def send(
    session: AsyncSession, settings: ResponderSettings, receipts: Sequence[Receipt]
) -> None:
    subjects = await subjects_of(session, [receipt.designation_id for receipt in receipts])
    await add_events(session, outgoing(settings, receipts, subjects=subjects))
