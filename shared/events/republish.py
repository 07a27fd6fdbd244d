"""Re-publish requests feedback, a responder (or an operator) sends to the initiator (对账)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from shared.delivery.outbox import OutgoingEvent
from shared.events.envelope import new_event
from shared.settings import ServiceSettings
from shared.topics import Topic

REPUBLISH_REQUESTED = "republish.requested.v1"


class RepublishRequested(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    designation_ids: tuple[uuid.UUID, ...] | None = None
    department_code: str | None = None
    memorandum_codes: tuple[str, ...] | None = None
    """with `department_code`: only these memoranda's designations"""
    reason: Literal[
        "overdue_receipt", "broker_data_loss", "operator", "catalogue_revised", "digest_mismatch"
    ]
    requested_at: datetime | None = None

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if not self.designation_ids and not self.department_code:
            raise ValueError("a re-publish request names designation_ids or a department_code")
        return self


def republish_request_event(
    settings: ServiceSettings, request: RepublishRequested
) -> OutgoingEvent:
    """The request as an outbox event of this service, keyed as the contract says: by its first
    designation id, or by the department when it names none."""
    key = str(request.designation_ids[0]) if request.designation_ids else request.department_code
    envelope = new_event(
        REPUBLISH_REQUESTED,
        settings.service_name,
        request.model_dump(mode="json", exclude_none=True),
        subject=str(request.request_id),
    )
    return OutgoingEvent(settings.topic(Topic.REPUBLISH_REQUESTS), key, envelope)
