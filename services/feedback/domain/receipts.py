"""What a receipt counts as, and when it happened (the month it is counted in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.events.receipts import (
    ReceiptBase,
    ReceiptEnforcement,
    ReceiptEventType,
    ReceiptMeasureLifted,
)


class ReceiptKind(StrEnum):
    received = "received"
    applied = "applied"
    not_applicable = "not_applicable"
    lifted = "lifted"
    enforcement = "enforcement"


KIND_OF_EVENT: dict[str, ReceiptKind] = {
    ReceiptEventType.received: ReceiptKind.received,
    ReceiptEventType.measure_applied: ReceiptKind.applied,
    ReceiptEventType.measure_not_applicable: ReceiptKind.not_applicable,
    ReceiptEventType.measure_lifted: ReceiptKind.lifted,
    ReceiptEventType.enforcement: ReceiptKind.enforcement,
}


@dataclass(frozen=True)
class ReceiptFacts:
    kind: ReceiptKind
    occurred_at: datetime
    measure_code: str | None


def facts_of(kind: ReceiptKind, receipt: ReceiptBase) -> ReceiptFacts:
    """An enforcement counts when it was enforced, a lifting when lifted, others when recorded."""
    occurred = receipt.recorded_at
    if isinstance(receipt, ReceiptEnforcement):
        occurred = receipt.enforced_at
    elif isinstance(receipt, ReceiptMeasureLifted):
        occurred = receipt.lifted_at
    return ReceiptFacts(kind, occurred, getattr(receipt, "measure_code", None))
