"""The responder service's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from services.responder.bootstrap import bootstrap
from services.responder.entrypoints import checks, designations, enforcements
from services.responder.settings import ResponderSettings
from shared.auth.jwks import KeySource
from shared.web.app import create_app


def create(
    settings: ResponderSettings | None = None, key_source: KeySource | None = None
) -> FastAPI:
    runtime, state = bootstrap(settings)
    app = create_app(
        runtime,
        title=f"jointcredit responder ({state.department})",
        description=(
            "One deployment per department: it applies its measures to every designation it "
            "owes a response to, sends receipts, answers checks from an in-memory index "
            "(应查必查) and records enforcements (嵌入式联合奖惩). Every endpoint needs a token "
            "of this department with the responder or admin role."
        ),
        routers=[checks.router, enforcements.router, designations.router],
        key_source=key_source,
        quiet_paths=("/v1/checks/",),
        readiness=[("check_index", lambda: state.index_ready)],
    )
    app.state.responder = state
    return app
