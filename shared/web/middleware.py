"""Trace context, request logs and a body-size limit for every request."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.connectivity import unreachable
from shared.tracing import current_trace_id, current_traceparent, reset_traceparent, set_traceparent

log = logging.getLogger("jointcredit.http")


class TraceMiddleware:
    """Adopt the caller's `traceparent` (or start one), echo it, and log each request.

    Requests under `quiet_prefixes` are logged only when they fail (status 400 or more): for
    hot paths whose every success would flood the logs (the responder's checks).
    """

    def __init__(self, app: ASGIApp, quiet_prefixes: Sequence[str] = ()) -> None:
        self.app = app
        self.quiet_prefixes = tuple(quiet_prefixes)

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
        except Exception as error:
            # Answer here, inside the trace context, rather than in Starlette's outer handler.
            log.exception("unhandled error", extra={"path": scope["path"]})
            if not started_response:
                await _internal_error(scope, send_with_trace, unavailable=unreachable(error))
        finally:
            path = scope["path"]
            quiet = status < 400 and path.startswith(self.quiet_prefixes)
            if not quiet and path not in ("/healthz", "/readyz", "/metrics"):
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


async def _internal_error(scope: Scope, send: Send, *, unavailable: bool = False) -> None:
    """500, or 503 with `Retry-After` when the database cannot be reached (restarting)."""
    status, title, detail = (
        (503, "Service Unavailable", "the database cannot be reached now; retry shortly")
        if unavailable
        else (500, "Internal Server Error", "the server failed to handle this request")
    )
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": f"{detail}; the error is logged",
            "instance": scope["path"],
            "trace_id": current_trace_id(),
        }
    )
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if unavailable:
        headers.append((b"retry-after", b"2"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """Raised while the body is read; FastAPI lets HTTPExceptions through, as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` (multipart uploads: `max_upload_bytes`, and the
    upload routes check their own, smaller limits) with a 413 problem: at once when the
    `Content-Length` says so, otherwise as soon as the streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").lower()
        limit = (
            self.max_upload_bytes
            if content_type.startswith(b"multipart/form-data")
            else self.max_bytes
        )
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _problem(scope, send, 413, "Content Too Large", BodyTooLarge(limit).detail)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


async def _problem(scope: Scope, send: Send, status: int, title: str, detail: str) -> None:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope["path"],
            "trace_id": current_trace_id(),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
