"""Enforcement recording (嵌入式联合奖惩): when a measure changed a business decision.

One recording per (department, business system, case, measure, subject): the same request
again gets the same answer, a different one under that key is a conflict.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson

from services.responder.domain import clock
from services.responder.domain.held import HeldDesignation, HeldTarget, TargetState
from services.responder.domain.receipts import RECEIPT_NAMESPACE, Receipt
from shared.catalogue import Catalogue
from shared.events.receipts import MeasureTarget, ReceiptEnforcement, ReceiptEventType

Outcome = Literal["applied", "not_applied"]
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class EnforcementCommand:
    business_system: str
    case_id: str
    measure_code: str
    subject_id: str
    designation_id: uuid.UUID
    outcome: Outcome
    reason: str | None
    scenario: str | None
    result: str
    amount: float | None
    occurred_at: datetime
    district: str | None

    def fingerprint(self) -> str:
        body = asdict(self) | {"occurred_at": self.occurred_at.timestamp()}
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def enforcement_id(self, department: str) -> uuid.UUID:
        parts = (department, "enforcement", self.business_system, self.case_id)
        key = "|".join((*parts, self.measure_code, self.subject_id))
        return uuid.uuid5(RECEIPT_NAMESPACE, key)


@dataclass(frozen=True)
class EnforcementRecord:
    id: uuid.UUID
    command: EnforcementCommand
    designation_version: int
    target_kind: str
    target_role: str
    recorded_at: datetime
    fingerprint: str

    def answer(self, department: str) -> dict[str, Any]:
        command = self.command
        return {
            "enforcement_id": str(self.id),
            "department_code": department,
            "business_system": command.business_system,
            "case_id": command.case_id,
            "measure_code": command.measure_code,
            "subject_id": command.subject_id,
            "target_role": self.target_role,
            "designation_id": str(command.designation_id),
            "designation_version": self.designation_version,
            "outcome": command.outcome,
            "reason": command.reason,
            "scenario": command.scenario,
            "result": command.result,
            "amount": command.amount,
            "occurred_at": command.occurred_at.isoformat(),
            "district": command.district,
            "recorded_at": self.recorded_at.isoformat(),
        }


class EnforcementRejected(Exception):
    """The recording cannot be accepted; `location` names the field at fault."""

    def __init__(self, status: int, location: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.location = location
        self.message = message


def _reject(location: str, message: str, status: int = 422) -> EnforcementRejected:
    return EnforcementRejected(status, location, message)


def accepted_target(
    command: EnforcementCommand,
    department: str,
    catalogue: Catalogue,
    held: HeldDesignation | None,
    now: datetime,
) -> HeldTarget:
    """The measure-target the recording is about, or EnforcementRejected saying why not."""
    code = command.measure_code
    measure = catalogue.measures.get(code)
    if measure is None or department not in measure.implementing_departments:
        raise _reject("body.measure_code", f"{code!r} is not a measure of department {department}")
    if command.occurred_at > now + _CLOCK_SKEW:
        raise _reject("body.occurred_at", "lies in the future")
    if command.outcome == "not_applied":
        if measure.binding != "discretionary":
            raise _reject(
                "body.outcome",
                f"measure {code} is binding (应当): only discretionary measures can be not_applied",
            )
        if not command.reason:
            raise _reject("body.reason", "a not_applied outcome needs the reason")
    if (
        command.scenario is not None
        and measure.scenarios
        and command.scenario not in measure.scenarios
    ):
        raise _reject(
            "body.scenario",
            f"measure {code} applies in: {', '.join(measure.scenarios)}; not {command.scenario!r}",
        )
    if held is None:
        raise _reject(
            "body.designation_id",
            f"designation {command.designation_id} is not held by department {department}",
        )
    target = next(
        (t for t in held.targets if t.id == command.subject_id and code in t.measure_codes), None
    )
    if target is None:
        raise _reject(
            "body.subject_id",
            f"measure {code} of designation {held.id} does not reach subject {command.subject_id}",
        )
    day = clock.shanghai_date(command.occurred_at)
    if day < held.period_start or (held.period_end is not None and day > held.period_end):
        raise _reject(
            "body.occurred_at",
            f"measure {code} was not in force on {day}: the period is "
            f"{held.period_start} to {held.period_end or 'open'}",
            409,
        )
    if target.state is not TargetState.in_force and command.occurred_at >= held.event_time:
        raise _reject(
            "body.occurred_at",
            f"measure {code} is {target.state.value} ({target.cause}) since version "
            f"{held.version} at {held.event_time.isoformat()}",
            409,
        )
    return target


def enforcement_receipt(
    record: EnforcementRecord, department: str, held: HeldDesignation
) -> Receipt:
    command = record.command
    data = ReceiptEnforcement(
        receipt_id=record.id,
        department_code=department,
        designation_id=command.designation_id,
        designation_version=record.designation_version,
        answers=held.event_id,
        recorded_at=record.recorded_at,
        measure_code=command.measure_code,
        target=MeasureTarget.model_validate(
            {"kind": record.target_kind, "id": command.subject_id, "role": record.target_role}
        ),
        enforced_at=command.occurred_at,
        business_system=command.business_system,
        case_reference=command.case_id,
        scenario=command.scenario,
        result=command.result,
        amount=command.amount,
        district=command.district,
    )
    extra: dict[str, object] = {"outcome": command.outcome}
    if command.reason:
        extra["reason"] = command.reason
    return Receipt.of(ReceiptEventType.enforcement, data, extra)
