"""The feedback service's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from services.feedback.bootstrap import bootstrap
from services.feedback.settings import FeedbackSettings
from shared.web.app import create_app


def create(settings: FeedbackSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    return create_app(
        runtime,
        title="jointcredit feedback",
        description="跟踪问效 statistics, the overdue list (通报) and the oversight dashboard",
    )
