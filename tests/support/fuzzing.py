"""Property-based fuzzing of a service's OpenAPI document with schemathesis, in-process.

The service runs with its real database (and broker, for those that consume) in an event loop
on a thread of its own, so that the synchronous Hypothesis tests can call it through
`httpx.ASGITransport` without a socket. Each operation is fuzzed with schemathesis' positive
(schema-valid) and negative (schema-violating) cases; each case is sent with a valid token of
the department that may act, with no token, or with the token schemathesis generated (garbage).
Every answer must be below 500, and every error an `application/problem+json` document.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Err

T = TypeVar("T")

BASE_URL = "http://service"
AUTH_CHOICES = ("token", "token", "token", "none", "generated")
"""Three in five cases carry a valid token so that the handlers are reached."""


class LoopThread:
    """An event loop running on a daemon thread; `run` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class FuzzReport:
    service: str
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        shown = "\n".join(self.failures[:15])
        return (
            f"{self.service}: {len(self.failures)} failures in {self.requests} requests:\n{shown}"
        )


Send = Callable[[dict[str, Any]], Coroutine[Any, Any, httpx.Response]]


def sender(client: httpx.AsyncClient) -> Send:
    """Send schemathesis' request arguments (the `requests` form) with an httpx client."""

    async def send(kwargs: dict[str, Any]) -> httpx.Response:
        request: dict[str, Any] = {
            "method": kwargs["method"],
            "url": kwargs["url"],
            "headers": kwargs.get("headers") or {},
            "params": kwargs.get("params") or None,
        }
        if "json" in kwargs:
            request["json"] = kwargs["json"]
        data = kwargs.get("data")
        if isinstance(data, bytes | str):
            request["content"] = data
        elif data is not None:
            request["data"] = data
        if kwargs.get("files"):
            request["files"] = kwargs["files"]
        return await client.request(**request)

    return send


def fuzz(
    service: str,
    document: dict[str, Any],
    loop: LoopThread,
    send: Send,
    token_headers: dict[str, str],
    *,
    max_examples: int,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> FuzzReport:
    """Run every operation of `document`; failures are collected, not raised, so that one run
    reports every operation that fails (and Hypothesis does not spend time shrinking)."""
    report = FuzzReport(service)
    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            report.failures.append(f"an operation schemathesis cannot read: {result.err()}")
            continue
        operation = result.ok()
        for mode in modes:
            _fuzz_operation(report, operation, mode, loop, send, token_headers, max_examples)
    return report


def _fuzz_operation(
    report: FuzzReport,
    operation: Any,
    mode: GenerationMode,
    loop: LoopThread,
    send: Send,
    token_headers: dict[str, str],
    max_examples: int,
) -> None:
    name = f"{operation.method.upper()} {operation.path} ({mode.value})"

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy(mode), auth=st.sampled_from(AUTH_CHOICES))
    def run(case: Any, auth: str) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
        headers = {k: v for k, v in kwargs["headers"].items() if k != "X-Schemathesis-TestCaseId"}
        if auth == "token":
            headers.update(token_headers)
        elif auth == "none":
            headers.pop("Authorization", None)
        kwargs["headers"] = headers
        try:
            response = loop.run(send(kwargs))
        except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError, ValueError):
            return  # the client cannot even send it: nothing reached the service
        report.requests += 1
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        problem = _judge(response)
        if problem:
            sent = {k: kwargs[k] for k in ("params", "json", "data") if kwargs.get(k) is not None}
            report.failures.append(f"{name} auth={auth}: {problem}; sent {str(sent)[:300]}")

    try:
        run()
    except Unsatisfiable:
        report.unsatisfiable.append(name)  # e.g. no parameter to violate in negative mode


def _judge(response: httpx.Response) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("application/problem+json"):
            return f"{response.status_code} answered as {content_type!r}: {response.text[:200]}"
        body = response.json()
        if body.get("status") != response.status_code or not body.get("detail"):
            return f"{response.status_code} problem document without status or detail: {body}"
    return None
