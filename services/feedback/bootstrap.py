"""The one place that wires the feedback service's dependencies."""

from __future__ import annotations

from services.feedback.settings import FeedbackSettings
from shared.runtime import Runtime


def bootstrap(settings: FeedbackSettings | None = None) -> Runtime:
    return Runtime.create(settings or FeedbackSettings.load())
