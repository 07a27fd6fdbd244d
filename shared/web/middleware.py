"""Trace context, request logs and a body-size limit for every request."""

from __future__ import annotations

import logging
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.tracing import current_trace_id, current_traceparent, reset_traceparent, set_traceparent

log = logging.getLogger("jointcredit.http")


class TraceMiddleware:
    """Adopt the caller's `traceparent` (or start one), echo it, and log each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"traceparent")
        token = set_traceparent(incoming.decode("latin-1") if incoming else None)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_trace(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = list(message.get("headers", []))
                headers.append((b"traceparent", (current_traceparent() or "").encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_trace)
        except Exception:
            # Answer here, inside the trace context, rather than in Starlette's outer handler.
            log.exception("unhandled error", extra={"path": scope["path"]})
            if not started_response:
                await _internal_error(scope, send_with_trace)
        finally:
            if scope["path"] not in ("/healthz", "/readyz", "/metrics"):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            reset_traceparent(token)


async def _internal_error(scope: Scope, send: Send) -> None:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "the server failed to handle this request; the error is logged",
            "instance": scope["path"],
            "trace_id": current_trace_id(),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
