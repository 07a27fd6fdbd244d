"""Re-publish requests feedback, a responder (or an operator) sends to the initiator (对账)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

REPUBLISH_REQUESTED = "republish.requested.v1"


class RepublishRequested(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    designation_ids: tuple[uuid.UUID, ...] | None = None
    department_code: str | None = None
    memorandum_codes: tuple[str, ...] | None = None
    """with `department_code`: only these memoranda's designations"""
    reason: Literal["overdue_receipt", "broker_data_loss", "operator", "catalogue_revised"]
    requested_at: datetime | None = None

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if not self.designation_ids and not self.department_code:
            raise ValueError("a re-publish request names designation_ids or a department_code")
        return self
