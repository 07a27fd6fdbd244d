"""Receipts (反馈) a responder sends about a designation (docs/asyncapi.yaml contract).

Each receipt can travel as an event of its own type, or together with the other receipts a
department sends about one designation at one moment, in one `receipt.bundle.v1` event: one
message, one broker write and one consumer inbox entry instead of a dozen. A bundled receipt is
the same receipt (the same id and payload) as when it travels alone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class ReceiptEventType(StrEnum):
    received = "receipt.received.v1"
    measure_applied = "receipt.measure-applied.v1"
    measure_not_applicable = "receipt.measure-not-applicable.v1"
    measure_lifted = "receipt.measure-lifted.v1"
    enforcement = "receipt.enforcement.v1"


RECEIPT_BUNDLE = "receipt.bundle.v1"
"""The event type of several receipts about one designation sent together."""


class MeasureTarget(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["organisation", "person"]
    id: str
    role: Literal["subject", "legal_representative", "principal", "directly_responsible"] = (
        "subject"
    )


class ReceiptBase(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    receipt_id: uuid.UUID = Field(description="stable: a re-sent receipt keeps it")
    department_code: str
    designation_id: uuid.UUID
    designation_version: int = Field(ge=1)
    answers: uuid.UUID = Field(description="id of the designation event this answers")
    recorded_at: datetime


class ReceiptReceived(ReceiptBase):
    pass


class ReceiptMeasureApplied(ReceiptBase):
    measure_code: str
    target: MeasureTarget | None = None
    applied_from: date
    applied_until: date | None = None


class ReceiptMeasureNotApplicable(ReceiptBase):
    measure_code: str
    reason: str


class ReceiptMeasureLifted(ReceiptBase):
    measure_code: str
    target: MeasureTarget | None = None
    cause: Literal["suspended", "revoked", "corrected", "repaired", "expired", "catalogue_revised"]
    lifted_at: datetime


class ReceiptEnforcement(ReceiptBase):
    measure_code: str
    target: MeasureTarget | None = None
    enforced_at: datetime
    business_system: str
    case_reference: str
    scenario: str | None = None
    result: str
    amount: float | None = None
    district: str | None = None


RECEIPT_MODELS: dict[str, type[ReceiptBase]] = {
    ReceiptEventType.received: ReceiptReceived,
    ReceiptEventType.measure_applied: ReceiptMeasureApplied,
    ReceiptEventType.measure_not_applicable: ReceiptMeasureNotApplicable,
    ReceiptEventType.measure_lifted: ReceiptMeasureLifted,
    ReceiptEventType.enforcement: ReceiptEnforcement,
}


class _Bundled(BaseModel):
    """One receipt of a bundle: `{"type": <its event type>, "data": <its payload>}`."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class _BundledReceived(_Bundled):
    type: Literal["receipt.received.v1"]
    data: ReceiptReceived


class _BundledApplied(_Bundled):
    type: Literal["receipt.measure-applied.v1"]
    data: ReceiptMeasureApplied


class _BundledNotApplicable(_Bundled):
    type: Literal["receipt.measure-not-applicable.v1"]
    data: ReceiptMeasureNotApplicable


class _BundledLifted(_Bundled):
    type: Literal["receipt.measure-lifted.v1"]
    data: ReceiptMeasureLifted


class _BundledEnforcement(_Bundled):
    type: Literal["receipt.enforcement.v1"]
    data: ReceiptEnforcement


BundledReceipt = Annotated[
    _BundledReceived
    | _BundledApplied
    | _BundledNotApplicable
    | _BundledLifted
    | _BundledEnforcement,
    Field(discriminator="type"),
]


class ReceiptBundle(BaseModel):
    """Receipts of one department about one designation (of one or more of its versions), each
    validated by the model of its own type, all in one call."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    department_code: str
    designation_id: uuid.UUID
    receipts: list[BundledReceipt] = Field(min_length=1)
