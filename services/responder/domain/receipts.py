"""The receipts (反馈) a department sends about one designation version.

Receipt ids are uuid5 of "department|designation|version|kind|measure|role:target", so a
re-processed or re-sent receipt keeps its id, and a consumer recognises a re-sent receipt it
already has.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from services.responder.domain.held import HeldDesignation, HeldTarget, TargetState
from shared.events.receipts import RECEIPT_MODELS, ReceiptBase, ReceiptEventType

RECEIPT_NAMESPACE = uuid.UUID("6f1c5d0e-4b8a-5e8f-9c1d-2a7b3e4f5a60")

LiftCause = Literal["suspended", "revoked", "corrected", "repaired", "expired", "catalogue_revised"]


@dataclass(frozen=True)
class Receipt:
    """A receipt as it goes out: its contract payload, ready as JSON (built directly from what
    the responder holds, which the contract models would only re-check), and the fields the
    outbox needs."""

    type: ReceiptEventType
    id: uuid.UUID
    department_code: str
    designation_id: uuid.UUID
    recorded_at: datetime
    payload: dict[str, object]
    """the event's `data`: the contract's fields (and any extra ones, which consumers ignore)"""

    @property
    def data(self) -> ReceiptBase:
        """The payload as its contract model."""
        return RECEIPT_MODELS[self.type].model_validate(self.payload)

    @classmethod
    def of(
        cls, kind: ReceiptEventType, data: ReceiptBase, extra: dict[str, object] | None = None
    ) -> Receipt:
        """A receipt from its contract model (and extra fields)."""
        payload = data.model_dump(mode="json") | (extra or {})
        return cls(
            kind,
            data.receipt_id,
            data.department_code,
            data.designation_id,
            data.recorded_at,
            payload,
        )


class _Receipts:
    """The receipts of one held version, their common fields formatted once."""

    def __init__(self, department: str, held: HeldDesignation) -> None:
        self.department = department
        self.held = held
        self._targets: dict[tuple[str, str], dict[str, str]] = {}
        self._prefix = f"{department}|{held.id}|{held.version}|"
        self._common: dict[str, object] = {
            "department_code": department,
            "designation_id": str(held.id),
            "designation_version": held.version,
            "answers": str(held.event_id),
            "recorded_at": held.recorded_at.isoformat(),
        }

    def target(self, target: HeldTarget) -> dict[str, str]:
        """The payload's target, built once per target (it is in every measure's receipt)."""
        found = self._targets.get(target.key)
        if found is None:
            found = self._targets[target.key] = {
                "kind": target.kind,
                "id": target.id,
                "role": target.role,
            }
        return found

    def make(
        self,
        kind: ReceiptEventType,
        fields: Mapping[str, object],
        measure: str = "",
        target: HeldTarget | None = None,
    ) -> Receipt:
        target_key = f"{target.role}:{target.id}" if target else ""
        # the id's name (module docstring), the designation's part formatted once for all
        id_ = uuid.uuid5(RECEIPT_NAMESPACE, f"{self._prefix}{kind.value}|{measure}|{target_key}")
        payload = {"receipt_id": str(id_), **self._common, **fields}
        held = self.held
        return Receipt(kind, id_, self.department, held.id, held.recorded_at, payload)

    def received(self) -> Receipt:
        return self.make(ReceiptEventType.received, {})

    def applied(self, measure: str, target: HeldTarget) -> Receipt:
        held = self.held
        fields = {
            "measure_code": measure,
            "target": self.target(target),
            "applied_from": held.period_start.isoformat(),
            "applied_until": held.period_end.isoformat() if held.period_end else None,
        }
        return self.make(ReceiptEventType.measure_applied, fields, measure, target)

    def not_applicable(self, measure: str, reason: str) -> Receipt:
        fields = {"measure_code": measure, "reason": reason}
        return self.make(ReceiptEventType.measure_not_applicable, fields, measure)

    def lifted(self, measure: str, target: HeldTarget, cause: LiftCause) -> Receipt:
        fields = {
            "measure_code": measure,
            "target": self.target(target),
            "cause": cause,
            "lifted_at": self.held.event_time.isoformat(),
        }
        return self.make(ReceiptEventType.measure_lifted, fields, measure, target)


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
