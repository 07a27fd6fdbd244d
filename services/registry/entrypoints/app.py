"""The registry service's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.bootstrap import bootstrap
from services.registry.settings import RegistrySettings
from shared.web.app import create_app


def create(settings: RegistrySettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    return create_app(
        runtime,
        title="jointcredit registry",
        description="departments, the measure catalogue (联合奖惩目录清单) and department credentials",
    )
