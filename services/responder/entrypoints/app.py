"""The responder service's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from services.responder.bootstrap import bootstrap
from services.responder.settings import ResponderSettings
from shared.web.app import create_app


def create(settings: ResponderSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    return create_app(
        runtime,
        title="jointcredit responder",
        description="one deployment per department: its measures in force and the check API (应查必查)",
    )
