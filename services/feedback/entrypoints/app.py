"""The feedback service's HTTP application."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from services.feedback.bootstrap import bootstrap
from services.feedback.entrypoints import oversight_routes, public_routes
from services.feedback.handlers.catalogue import catalogue_at_start
from services.feedback.settings import FeedbackSettings
from shared.auth.jwks import KeySource
from shared.runtime import Runtime
from shared.web.app import create_app

log = logging.getLogger(__name__)


def create(
    settings: FeedbackSettings | None = None, key_source: KeySource | None = None
) -> FastAPI:
    feedback = bootstrap(settings)

    async def hold_a_catalogue(runtime: Runtime) -> None:
        """Best effort: without the database now, the catalogue events bring it later."""
        try:
            async with runtime.unit_of_work() as uow:
                if await catalogue_at_start(uow.session, feedback.handlers):
                    await uow.commit()
        except (SQLAlchemyError, OSError) as error:
            log.warning("catalogue not checked at start", extra={"error": repr(error)})

    app = create_app(
        feedback.runtime,
        title="jointcredit feedback",
        description=(
            "跟踪问效: who answered which designation and how fast, the overdue list (通报), "
            "reconciliation, the typical-cases report (典型案例) and the oversight dashboard. "
            "JSON API for oversight or admin tokens; `/v1/public/*` and `/dashboard` are "
            "public aggregates."
        ),
        routers=[oversight_routes.router, public_routes.router],
        on_start=[hold_a_catalogue] if feedback.settings.run_consumer else [],
        key_source=key_source,
    )
    app.state.feedback = feedback
    return app
