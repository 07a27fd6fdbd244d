"""CloudEvents 1.0 in structured JSON mode, with `ce_*` and `traceparent` Kafka headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.tracing import current_traceparent

EVENT_TYPE_PREFIX = "cn.jointcredit."
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


class EnvelopeError(ValueError):
    """A message that is not a CloudEvent this platform can read."""


class Envelope(BaseModel):
    """One event. `id` is a UUID and the de-duplication key of every consumer."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str
    type: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: str | None = None
    data: dict[str, Any]

    @property
    def base_type(self) -> str:
        """The type without its version suffix: `cn.jointcredit.designation.initiated`."""
        return self.type.rsplit(".", 1)[0]

    @property
    def version(self) -> int:
        suffix = self.type.rsplit(".", 1)[-1]
        if not suffix.startswith("v") or not suffix[1:].isdigit():
            raise EnvelopeError(f"event type {self.type!r} has no version suffix like '.v1'")
        return int(suffix[1:])

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json", exclude_none=True))

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", b"1.0"),
            ("ce_id", str(self.id).encode()),
            ("ce_type", self.type.encode()),
            ("ce_source", self.source.encode()),
            ("ce_time", self.time.isoformat().encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]
        if self.traceparent:
            headers.append(("traceparent", self.traceparent.encode()))
        return headers

    @classmethod
    def parse(cls, raw: bytes | None) -> Envelope:
        if raw is None:
            raise EnvelopeError("message has no value")
        try:
            return cls.model_validate_json(raw)
        except ValueError as error:
            raise EnvelopeError(f"not a CloudEvent: {error}") from error


def new_event(
    event_type: str, source: str, data: dict[str, Any], subject: str | None = None
) -> Envelope:
    """An envelope carrying the current trace context."""
    if not event_type.startswith(EVENT_TYPE_PREFIX):
        event_type = EVENT_TYPE_PREFIX + event_type
    return Envelope(
        type=event_type,
        source=source,
        subject=subject,
        data=data,
        traceparent=current_traceparent(),
    )
