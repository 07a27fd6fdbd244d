"""Settings of the feedback service."""

from __future__ import annotations

from shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    service_name: str = "feedback"
    database_name: str | None = "feedback"
