"""SQL for receipts: each stored once, by its receipt id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.domain.periods import month_of
from services.feedback.domain.receipts import ReceiptFacts
from shared.events.receipts import ReceiptBase


@dataclass(frozen=True)
class NewReceipt:
    event_id: uuid.UUID
    receipt: ReceiptBase
    facts: ReceiptFacts
    payload: Mapping[str, Any]
    """the receipt's payload as it came (stored as the row's `data`)"""


_INSERT_MANY = text(
    "INSERT INTO receipts (receipt_id, event_id, kind, department_code, designation_id, "
    "designation_version, answers, measure_code, recorded_at, occurred_at, occurred_month, data) "
    "SELECT * FROM unnest(CAST(:receipt_ids AS uuid[]), CAST(:event_ids AS uuid[]), "
    "CAST(:kinds AS text[]), CAST(:departments AS text[]), CAST(:designation_ids AS uuid[]), "
    "CAST(:versions AS integer[]), CAST(:answers AS uuid[]), CAST(:measure_codes AS text[]), "
    "CAST(:recorded_at AS timestamptz[]), CAST(:occurred_at AS timestamptz[]), "
    "CAST(:months AS text[]), CAST(:data AS jsonb[])) "
    "ON CONFLICT (receipt_id) DO NOTHING RETURNING receipt_id"
)


async def insert_many(session: AsyncSession, receipts: Sequence[NewReceipt]) -> set[uuid.UUID]:
    """Store the receipts in one statement; the ids stored now (not those stored before)."""
    if not receipts:
        return set()
    # a version's receipts from one department share their time: one conversion for them all
    months = {at: month_of(at) for at in {new.facts.occurred_at for new in receipts}}
    result = await session.execute(
        _INSERT_MANY,
        {
            "receipt_ids": [new.receipt.receipt_id for new in receipts],
            "event_ids": [new.event_id for new in receipts],
            "kinds": [new.facts.kind.value for new in receipts],
            "departments": [new.receipt.department_code for new in receipts],
            "designation_ids": [new.receipt.designation_id for new in receipts],
            "versions": [new.receipt.designation_version for new in receipts],
            "answers": [new.receipt.answers for new in receipts],
            "measure_codes": [new.facts.measure_code for new in receipts],
            "recorded_at": [new.receipt.recorded_at for new in receipts],
            "occurred_at": [new.facts.occurred_at for new in receipts],
            "months": [months[new.facts.occurred_at] for new in receipts],
            "data": [orjson.dumps(new.payload).decode() for new in receipts],
        },
    )
    return {row[0] for row in result}
