"""Receipts from responders: stored once by receipt id; a `received` one answers its designation.

A receipt arrives as its own event or in a bundle with the other receipts a department sent
about the same designation at the same moment; either way each is stored by its receipt id.

A batch's receipts are gathered while the consumer handles its messages and written together
just before the batch's transaction commits: one statement locks their designations, one
inserts them all (a re-sent receipt id is skipped by the database), one marks the designations
answered. The outcome is the one of handling them one by one — only with three round trips per
batch instead of two or three per receipt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import designation_records, expectation_records, receipt_records
from services.feedback.adapters.receipt_records import NewReceipt
from services.feedback.domain.receipts import KIND_OF_EVENT, ReceiptKind, facts_of
from shared.delivery.consumer import MessageContext, PermanentError, gathered_for_commit
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope
from shared.events.receipts import RECEIPT_BUNDLE, RECEIPT_MODELS, ReceiptBundle

_PENDING = "feedback_pending_receipts"

Counted = Callable[[int, int], None]
"""Called after the commit with (recorded, duplicates)."""


def parse_receipts(envelope: Envelope) -> list[NewReceipt]:
    """The receipts an event carries: itself, or those of its bundle."""
    event_type = envelope.type.removeprefix(EVENT_TYPE_PREFIX)
    if event_type != RECEIPT_BUNDLE:
        kind = KIND_OF_EVENT.get(event_type)
        if kind is None:
            raise PermanentError(f"feedback does not read {envelope.type}")
        try:
            receipt = RECEIPT_MODELS[event_type].model_validate(envelope.data)
        except ValidationError as error:
            raise PermanentError(f"invalid receipt: {error}") from error
        return [NewReceipt(envelope.id, receipt, facts_of(kind, receipt), envelope.data)]
    try:
        bundle = ReceiptBundle.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"invalid receipt bundle: {error}") from error
    receipts = []
    for one, raw in zip(bundle.receipts, envelope.data["receipts"], strict=True):
        receipt = one.data
        if (
            receipt.department_code != bundle.department_code
            or receipt.designation_id != bundle.designation_id
        ):
            raise PermanentError(
                f"receipt bundle of {bundle.department_code} about {bundle.designation_id}"
                f" carries receipt {receipt.receipt_id} of another department or designation"
            )
        kind = KIND_OF_EVENT[one.type]
        receipts.append(NewReceipt(envelope.id, receipt, facts_of(kind, receipt), raw["data"]))
    return receipts


def record_receipt(envelope: Envelope, context: MessageContext, counted: Counted) -> None:
    """Gather the receipts; the batch's receipts are written before its transaction commits."""
    receipts = parse_receipts(envelope)
    session = context.session

    async def flush(receipts: list[NewReceipt]) -> None:
        recorded, duplicates = await write_receipts(session, receipts)
        context.after_commit(lambda: counted(recorded, duplicates))

    gathered_for_commit(context, _PENDING, flush).extend(receipts)


async def write_receipts(session: AsyncSession, receipts: list[NewReceipt]) -> tuple[int, int]:
    """Store the receipts; (recorded, duplicates): a receipt id stored before is a duplicate."""
    if not receipts:
        return 0, 0
    await designation_records.lock_designations(
        session, [new.receipt.designation_id for new in receipts]
    )
    inserted = await receipt_records.insert_many(session, receipts)
    first_answers: dict[tuple[uuid.UUID, str], datetime] = {}
    answered = set(inserted)
    for new in receipts:
        if new.facts.kind is not ReceiptKind.received or new.receipt.receipt_id not in answered:
            continue
        answered.discard(new.receipt.receipt_id)
        key = (new.receipt.designation_id, new.receipt.department_code)
        at = new.receipt.recorded_at
        first_answers[key] = min(first_answers.get(key, at), at)
    await expectation_records.mark_received_many(session, first_answers)
    return len(inserted), len(receipts) - len(inserted)
