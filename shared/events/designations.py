"""The designation (认定) state every designation event carries (docs/asyncapi.yaml contract)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ListType = Literal["red", "black"]


class DesignationStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    revoked = "revoked"
    corrected = "corrected"
    repaired = "repaired"
    expired = "expired"


class DesignationEventType(StrEnum):
    """Event types (without the `cn.jointcredit.` prefix) on the designations topic."""

    initiated = "designation.initiated.v1"
    suspended = "designation.suspended.v1"
    resumed = "designation.resumed.v1"
    corrected = "designation.corrected.v1"
    revoked = "designation.revoked.v1"
    repaired = "designation.repaired.v1"
    expired = "designation.expired.v1"
    extended = "designation.extended.v1"
    republished = "designation.republished.v1"


class DesignationSubject(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["organisation", "person"]
    id: str = Field(description="统一社会信用代码 or 居民身份证号码, normalised")
    name: str


class ResponsiblePerson(BaseModel):
    """法定代表人, 主要负责人 or 直接责任人 of a designated organisation (落实到人)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    role: Literal["legal_representative", "principal", "directly_responsible"]
    id: str
    name: str


class DesignationState(BaseModel):
    """The full state at `version`; consumers keep the highest version they have seen."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID
    version: int = Field(ge=1)
    status: DesignationStatus
    list_type: ListType
    memorandum_code: str
    subject: DesignationSubject
    responsible_persons: tuple[ResponsiblePerson, ...] = ()
    reason: str
    legal_basis: str
    document_number: str
    decided_at: datetime
    period_start: date
    period_end: date | None
    initiating_department: str
    republish_request_id: uuid.UUID | None = None

    def in_force_on(self, day: date) -> bool:
        """Time is authoritative: only an active designation within its period applies."""
        if self.status is not DesignationStatus.active or day < self.period_start:
            return False
        return self.period_end is None or day <= self.period_end
