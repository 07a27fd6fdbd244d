"""The receipts (反馈) a department sends about one designation version.

Receipt ids are uuid5 of (department, designation, version, kind, measure, target), so a
re-processed or re-sent receipt keeps its id, and the envelope id equals the receipt id: a
consumer's inbox recognises a re-sent receipt it already has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, cast

from services.responder.domain.held import HeldDesignation, HeldTarget, TargetState
from shared.events.receipts import (
    MeasureTarget,
    ReceiptBase,
    ReceiptEventType,
    ReceiptMeasureApplied,
    ReceiptMeasureLifted,
    ReceiptMeasureNotApplicable,
    ReceiptReceived,
)

RECEIPT_NAMESPACE = uuid.UUID("6f1c5d0e-4b8a-5e8f-9c1d-2a7b3e4f5a60")

LiftCause = Literal["suspended", "revoked", "corrected", "repaired", "expired", "catalogue_revised"]


@dataclass(frozen=True)
class Receipt:
    type: ReceiptEventType
    data: ReceiptBase
    extra: tuple[tuple[str, object], ...] = ()
    """fields beyond the agreed payload (allowed: consumers ignore unknown fields)"""

    @property
    def id(self) -> uuid.UUID:
        return self.data.receipt_id


def receipt_id(
    department: str,
    designation_id: uuid.UUID,
    version: int,
    kind: ReceiptEventType,
    measure: str = "",
    target: str = "",
) -> uuid.UUID:
    name = f"{department}|{designation_id}|{version}|{kind.value}|{measure}|{target}"
    return uuid.uuid5(RECEIPT_NAMESPACE, name)


def _target(target: HeldTarget) -> MeasureTarget:
    return MeasureTarget.model_validate({"kind": target.kind, "id": target.id, "role": target.role})


class _Receipts:
    def __init__(self, department: str, held: HeldDesignation) -> None:
        self.department = department
        self.held = held
        self._targets: dict[tuple[str, str], MeasureTarget] = {}
        self._prefix = f"{department}|{held.id}|{held.version}|"

    def target(self, target: HeldTarget) -> MeasureTarget:
        """The payload's target, validated once per target (it is in every measure's receipt)."""
        found = self._targets.get(target.key)
        if found is None:
            found = self._targets[target.key] = _target(target)
        return found

    def base(
        self, kind: ReceiptEventType, measure: str = "", target: HeldTarget | None = None
    ) -> dict[str, object]:
        held = self.held
        target_key = f"{target.role}:{target.id}" if target else ""
        return {
            # `receipt_id`'s name, the designation's part formatted once for all its receipts
            "receipt_id": uuid.uuid5(
                RECEIPT_NAMESPACE, f"{self._prefix}{kind.value}|{measure}|{target_key}"
            ),
            "department_code": self.department,
            "designation_id": held.id,
            "designation_version": held.version,
            "answers": held.event_id,
            "recorded_at": held.recorded_at,
        }

    def received(self) -> Receipt:
        kind = ReceiptEventType.received
        return Receipt(kind, ReceiptReceived.model_validate(self.base(kind)))

    def applied(self, measure: str, target: HeldTarget) -> Receipt:
        kind = ReceiptEventType.measure_applied
        data = self.base(kind, measure, target) | {
            "measure_code": measure,
            "target": self.target(target),
            "applied_from": self.held.period_start,
            "applied_until": self.held.period_end,
        }
        return Receipt(kind, ReceiptMeasureApplied.model_validate(data))

    def not_applicable(self, measure: str, reason: str) -> Receipt:
        kind = ReceiptEventType.measure_not_applicable
        data = self.base(kind, measure) | {"measure_code": measure, "reason": reason}
        return Receipt(kind, ReceiptMeasureNotApplicable.model_validate(data))

    def lifted(self, measure: str, target: HeldTarget, cause: LiftCause) -> Receipt:
        kind = ReceiptEventType.measure_lifted
        data = self.base(kind, measure, target) | {
            "measure_code": measure,
            "target": self.target(target),
            "cause": cause,
            "lifted_at": self.held.event_time,
        }
        return Receipt(kind, ReceiptMeasureLifted.model_validate(data))


def receipts_for(department: str, held: HeldDesignation) -> list[Receipt]:
    """The receipts of the version held: rebuilt identically whenever asked (re-sending)."""
    make = _Receipts(department, held)
    receipts = [make.received()]
    if held.active:
        for target in held.targets:
            receipts += [make.applied(code, target) for code in target.measure_codes]
        receipts += [make.not_applicable(code, reason) for code, reason in held.not_applicable]
        return receipts
    for target in held.targets:
        if target.notified and target.cause is not None:
            cause = cast(LiftCause, target.cause)
            receipts += [make.lifted(code, target, cause) for code in target.measure_codes]
    return receipts


def lifted_beyond(
    department: str,
    previous: HeldDesignation | None,
    held: HeldDesignation,
    cause: LiftCause | None = None,
) -> list[Receipt]:
    """Lifted receipts for measure-targets the new version no longer reaches at all.

    That happens when a version changes who is reached (a correction of the responsible
    persons) or when the catalogue changed in between; the cause is `cause` when given (a
    catalogue revision), else the new status, or `corrected` while the designation stays active.
    """
    if previous is None:
        return []
    make = _Receipts(department, held)
    now_reached = {(t.key, code) for t in held.targets for code in t.measure_codes}
    if cause is None:
        cause = cast(LiftCause, held.status.value if not held.active else "corrected")
    receipts = []
    for target in previous.targets:
        if target.state not in (TargetState.in_force, TargetState.suspended):
            continue
        for code in target.measure_codes:
            if (target.key, code) not in now_reached:
                receipts.append(make.lifted(code, target, cause))
    return receipts
