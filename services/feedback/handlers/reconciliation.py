"""Reconciliation (对账): ask the initiator to re-publish designations that were not answered.

The responders re-send a version's receipts (same receipt ids) when they see it re-published, so
the missing acknowledgements arrive — and are counted once — even after a broker lost its log.
`overdue_receipt` asks for designations unanswered past a deadline; `broker_data_loss` asks for
every unanswered one and for those only receipts mention (their events never reached feedback).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import overdue_queries
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.republish import RepublishRequested, republish_request_event
from shared.settings import ServiceSettings

Reason = Literal["overdue_receipt", "broker_data_loss"]


@dataclass(frozen=True)
class ReconciliationOutcome:
    as_of: datetime
    reason: Reason
    designation_ids: list[uuid.UUID]
    request_ids: list[uuid.UUID]


def chunked(ids: list[uuid.UUID], size: int) -> list[list[uuid.UUID]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


async def request_republish(
    session: AsyncSession,
    settings: ServiceSettings,
    *,
    as_of: datetime,
    reason: Reason,
    requested_by: str,
    chunk_size: int,
    department_code: str | None = None,
    not_requested_since: datetime | None = None,
) -> ReconciliationOutcome:
    """Write the requests to the outbox in the caller's transaction (commit to send them)."""
    ids = await overdue_queries.designations_to_republish(
        session,
        as_of,
        overdue_only=reason == "overdue_receipt",
        department_code=department_code,
        not_requested_since=not_requested_since,
    )
    if reason == "broker_data_loss" and department_code is None:
        ids = sorted(set(ids) | set(await overdue_queries.designations_only_receipts_name(session)))
    now = datetime.now(UTC)
    events: list[OutgoingEvent] = []
    request_ids: list[uuid.UUID] = []
    for chunk in chunked(ids, chunk_size):
        request = RepublishRequested(
            request_id=uuid.uuid4(), designation_ids=tuple(chunk), reason=reason, requested_at=now
        )
        events.append(republish_request_event(settings, request))
        request_ids.append(request.request_id)
        await overdue_queries.record_request(
            session, request.request_id, reason, len(chunk), as_of, requested_by
        )
    await add_events(session, events)
    await overdue_queries.mark_requested(session, ids, now)
    return ReconciliationOutcome(as_of, reason, ids, request_ids)
