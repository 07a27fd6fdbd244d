"""Settings of the feedback service."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    service_name: str = "feedback"
    database_name: str | None = "feedback"
    consumer_group: str = Field(
        "feedback", description="consumer group (and inbox name) reading the three topics"
    )
    run_consumer: bool = Field(True, description="consume catalogue, designation, receipt events")
    reconciliation_interval_s: float = Field(
        600.0,
        ge=0,
        description="how often overdue designations are asked to be re-published; 0 turns it off",
    )
    reconciliation_chunk_size: int = Field(
        500, ge=1, le=10_000, description="designation ids per republish.requested.v1 event"
    )
    registry_timeout_s: float = Field(
        5.0, description="timeout of catalogue reads from the registry"
    )
