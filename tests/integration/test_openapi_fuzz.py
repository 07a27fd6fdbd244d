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

import pytest

from tests.support.auth import TestAuthority
from tests.support.fuzz_targets import (
    Target,
    feedback_target,
    initiator_target,
    registry_target,
    responder_target,
)
from tests.support.fuzzing import FuzzReport, LoopThread, fuzz, sender

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MAX_EXAMPLES = int(os.environ.get("JOINTCREDIT_FUZZ_EXAMPLES", "20"))
"""Per operation and mode; a deeper run: JOINTCREDIT_FUZZ_EXAMPLES=200."""


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def _fuzz_in(loop: LoopThread, start: Target, service: str) -> FuzzReport:
    """`start(stack)` enters the service on the loop's thread; the service is stopped and its
    database dropped afterwards."""
    stack = AsyncExitStack()
    app, client, headers = loop.run(start(stack))
    try:
        return fuzz(
            service, app.openapi(), loop, sender(client), headers, max_examples=MAX_EXAMPLES
        )
    finally:
        loop.run(stack.aclose())


def test_registry_openapi(loop: LoopThread, database_url: str, bootstrap: str) -> None:
    report = _fuzz_in(loop, registry_target(database_url, bootstrap), "registry")
    assert not report.failures, report.summary()
    assert report.requests > 0


def test_initiator_openapi(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    report = _fuzz_in(loop, initiator_target(database_url, bootstrap, authority), "initiator")
    assert not report.failures, report.summary()


def test_responder_openapi(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    report = _fuzz_in(loop, responder_target(database_url, bootstrap, authority), "responder")
    assert not report.failures, report.summary()


def test_feedback_openapi(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    report = _fuzz_in(loop, feedback_target(database_url, bootstrap, authority), "feedback")
    assert not report.failures, report.summary()
