"""SQL for receipts: each stored once, by its receipt id."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import receipts
from services.feedback.domain.periods import month_of
from services.feedback.domain.receipts import ReceiptFacts
from shared.events.receipts import ReceiptBase


async def insert(
    session: AsyncSession, event_id: uuid.UUID, receipt: ReceiptBase, facts: ReceiptFacts
) -> bool:
    """Store the receipt; False when its receipt id was stored before (a re-sent receipt)."""
    statement = (
        pg_insert(receipts)
        .values(
            receipt_id=receipt.receipt_id,
            event_id=event_id,
            kind=facts.kind.value,
            department_code=receipt.department_code,
            designation_id=receipt.designation_id,
            designation_version=receipt.designation_version,
            answers=receipt.answers,
            measure_code=facts.measure_code,
            recorded_at=receipt.recorded_at,
            occurred_at=facts.occurred_at,
            occurred_month=month_of(facts.occurred_at),
            data=receipt.model_dump(mode="json"),
        )
        .on_conflict_do_nothing(index_elements=[receipts.c.receipt_id])
        .returning(receipts.c.receipt_id)
    )
    return (await session.execute(statement)).first() is not None
