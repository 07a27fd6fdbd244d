"""The initiator service's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from services.initiator.bootstrap import bootstrap
from services.initiator.entrypoints import (
    application_routes,
    designation_routes,
    import_routes,
    public_routes,
    republish_routes,
)
from services.initiator.settings import InitiatorSettings
from shared.web.app import create_app


def create(settings: InitiatorSettings | None = None) -> FastAPI:
    initiator = bootstrap(settings)
    app = create_app(
        initiator.runtime,
        title="jointcredit initiator",
        description="designations (认定), their lifecycle, objections (异议), repair (信用修复) "
        "and publication (公示). Public routes need no token; every other route needs a "
        "department token from the registry. Errors are application/problem+json.",
        routers=[
            designation_routes.router,
            application_routes.router,
            import_routes.router,
            republish_routes.router,
            public_routes.router,
        ],
    )
    app.state.initiator = initiator
    return app
