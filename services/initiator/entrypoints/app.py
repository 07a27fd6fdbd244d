"""The initiator service's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from services.initiator.bootstrap import bootstrap
from services.initiator.settings import InitiatorSettings
from shared.web.app import create_app


def create(settings: InitiatorSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    return create_app(
        runtime,
        title="jointcredit initiator",
        description="designations (认定), their lifecycle, objections (异议), repair (信用修复) and publication (公示)",
    )
