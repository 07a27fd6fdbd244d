"""The registry service's HTTP application."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from services.registry.bootstrap import wire
from services.registry.entrypoints import (
    catalogue_admin_routes,
    catalogue_routes,
    client_routes,
    record_routes,
    token_routes,
)
from services.registry.entrypoints.errors import install_registry_errors
from services.registry.settings import RegistrySettings
from shared.runtime import Runtime
from shared.web.app import create_app

log = logging.getLogger(__name__)


def create(settings: RegistrySettings | None = None) -> FastAPI:
    registry = wire(settings)

    async def ensure_signing_key(runtime: Runtime) -> None:
        """So that the JWKS is never empty, even before the first token."""
        try:
            async with runtime.unit_of_work() as uow:
                await registry.keys.signing(uow)
        except Exception as error:
            log.warning("no signing key at start", extra={"error": repr(error)})

    app = create_app(
        registry.runtime,
        title="jointcredit registry",
        description=(
            "Departments, the measure catalogue (联合奖惩目录清单) with its versions, and "
            "department credentials. Catalogue reads are public; writes need a platform "
            "administrator's token; tokens come from `POST /v1/token`."
        ),
        routers=[
            catalogue_routes.router,
            record_routes.router,
            catalogue_admin_routes.router,
            token_routes.router,
            client_routes.router,
        ],
        on_start=[ensure_signing_key],
        key_source=registry.key_source,
    )
    app.state.registry = registry
    install_registry_errors(app)
    return app
