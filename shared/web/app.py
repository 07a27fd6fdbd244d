"""The app factory every service uses: problem+json, logs, metrics, health and readiness."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.audit.routes import audit_router
from shared.auth.dependencies import default_key_source, install_authenticator
from shared.auth.jwks import KeySource
from shared.runtime import Runtime
from shared.web.middleware import BodySizeLimit, TraceMiddleware
from shared.web.openapi import install_problem_openapi
from shared.web.problems import install_problem_handlers, problem_response

StartHook = Callable[[Runtime], Awaitable[None]]
ReadinessCheck = tuple[str, Callable[[], bool]]
"""A part of the service that must be ready besides the database and the broker: (name, ok)."""


def create_app(
    runtime: Runtime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    on_start: Sequence[StartHook] = (),
    key_source: KeySource | None = None,
    quiet_paths: Sequence[str] = (),
    readiness: Sequence[ReadinessCheck] = (),
) -> FastAPI:
    """`quiet_paths`: path prefixes whose successful requests are not logged one by one;
    `readiness`: what else `/readyz` waits for (a responder's check index)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in on_start:
            await hook(runtime)
        await runtime.start()
        try:
            yield
        finally:
            await runtime.shutdown()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_authenticator(app, key_source or default_key_source(runtime.settings))
    app.add_middleware(
        BodySizeLimit,
        max_bytes=runtime.settings.http_max_body_bytes,
        max_upload_bytes=runtime.settings.http_max_upload_bytes,
    )
    app.add_middleware(TraceMiddleware, quiet_prefixes=quiet_paths)
    install_problem_handlers(app)
    install_problem_openapi(app)
    app.include_router(_operations_router(runtime, readiness))
    app.include_router(audit_router(runtime))
    for router in routers:
        app.include_router(router)
    return app


def _operations_router(runtime: Runtime, readiness: Sequence[ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])
    broker_seen = {"at": 0.0, "ok": False}

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/readyz", summary="Readiness: the database and the broker answer")
    async def readyz(request: Request) -> Response:
        database = await runtime.database_answers()
        if time.monotonic() - broker_seen["at"] > 2.0:
            broker_seen["ok"] = await runtime.broker_answers()
            broker_seen["at"] = time.monotonic()
        broker = bool(broker_seen["ok"])
        parts = {"database": database, "broker": broker} | {
            name: check() for name, check in readiness
        }
        states: dict[str, Any] = {name: "ok" if ok else "down" for name, ok in parts.items()}
        if all(parts.values()):
            return JSONResponse({"status": "ready", **states})
        failing = [name for name, ok in parts.items() if not ok]
        return problem_response(
            503, f"not ready: {', '.join(failing)} not ready", request, **states
        )

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
