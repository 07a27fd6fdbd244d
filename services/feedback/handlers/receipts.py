"""Receipts from responders: stored once by receipt id; a `received` one answers its designation."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import designation_records, expectation_records, receipt_records
from services.feedback.domain.receipts import KIND_OF_EVENT, ReceiptKind, facts_of
from shared.delivery.consumer import PermanentError
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope
from shared.events.receipts import RECEIPT_MODELS


async def record_receipt(envelope: Envelope, session: AsyncSession) -> bool:
    """True when the receipt was new, False when its receipt id was already counted."""
    event_type = envelope.type.removeprefix(EVENT_TYPE_PREFIX)
    kind = KIND_OF_EVENT.get(event_type)
    if kind is None:
        raise PermanentError(f"feedback does not read {envelope.type}")
    try:
        receipt = RECEIPT_MODELS[event_type].model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"invalid receipt: {error}") from error
    await designation_records.lock_designation(session, receipt.designation_id)
    inserted = await receipt_records.insert(session, envelope.id, receipt, facts_of(kind, receipt))
    if inserted and kind is ReceiptKind.received:
        await expectation_records.mark_received(
            session, receipt.designation_id, receipt.department_code, receipt.recorded_at
        )
    return inserted
