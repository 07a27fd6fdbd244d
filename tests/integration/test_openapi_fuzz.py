"""Every service's OpenAPI document fuzzed with schemathesis: no 5xx, every error problem+json.

In-process (ASGI) against the real PostgreSQL and broker. Each operation gets
`MAX_EXAMPLES` schema-valid and `MAX_EXAMPLES` schema-violating cases (Hypothesis, no
shrinking), three in five with a valid token of the department that may act (all roles, so
that the handlers are reached), the others with no token or a garbage one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from shared.auth.principal import Role
from tests.support.auth import TestAuthority
from tests.support.feedback import running_feedback
from tests.support.fuzzing import FuzzReport, LoopThread, fuzz, sender
from tests.support.initiator import InitiatorHarness
from tests.support.registry import running_registry
from tests.support.responder import ResponderHarness

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MAX_EXAMPLES = int(os.environ.get("JOINTCREDIT_FUZZ_EXAMPLES", "20"))
"""Per operation and mode; a deeper run: JOINTCREDIT_FUZZ_EXAMPLES=200."""
ALL_ROLES = (Role.admin, Role.initiator, Role.responder, Role.oversight)


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def _fuzz_in(loop: LoopThread, start: Any, service: str) -> FuzzReport:
    """`start(stack)` enters the service on the loop's thread and returns (app, client,
    token headers); the service is stopped and its database dropped afterwards."""
    stack = AsyncExitStack()
    app, client, headers = loop.run(start(stack))
    try:
        return fuzz(
            service, app.openapi(), loop, sender(client), headers, max_examples=MAX_EXAMPLES
        )
    finally:
        loop.run(stack.aclose())


def test_registry_openapi(loop: LoopThread, database_url: str, bootstrap: str) -> None:
    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        registry = await stack.enter_async_context(running_registry(database_url, bootstrap))
        await registry.seed()
        return registry.app, registry.client, await registry.admin_headers()

    report = _fuzz_in(loop, start, "registry")
    assert not report.failures, report.summary()
    assert report.requests > 0


def test_initiator_openapi(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        harness = InitiatorHarness(database_url, bootstrap, authority, schedule=False)
        initiator = await stack.enter_async_context(harness)
        await initiator.designate()
        return initiator.app, initiator.client, authority.headers("court", *ALL_ROLES)

    report = _fuzz_in(loop, start, "initiator")
    assert not report.failures, report.summary()


def test_responder_openapi(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        responder = await stack.enter_async_context(
            ResponderHarness(database_url, bootstrap, authority, "court")
        )
        await responder.ready()
        return responder.app, responder.client, authority.headers("court", *ALL_ROLES)

    report = _fuzz_in(loop, start, "responder")
    assert not report.failures, report.summary()


def test_feedback_openapi(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        service = await stack.enter_async_context(
            running_feedback(database_url, bootstrap, authority, run_consumer=False)
        )
        return service.app, service.client, authority.headers("oversight", *ALL_ROLES)

    report = _fuzz_in(loop, start, "feedback")
    assert not report.failures, report.summary()
