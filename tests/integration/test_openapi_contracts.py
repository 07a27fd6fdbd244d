"""Every service against its own OpenAPI document with `schemathesis run --checks all`.

Each service runs with its real database and broker on a loopback port; the schemathesis
command line runs every phase with a valid token of a department that may act, and must end
with zero failures (the few exceptions, each with its reason, are in schemathesis.toml): every status a route answers is documented with its problem type, every
schema-valid request is accepted and every invalid one refused, `Allow` lists every method.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest

from tests.support.auth import TestAuthority, TestIdentityProvider
from tests.support.fuzz_targets import (
    Target,
    feedback_target,
    initiator_target,
    registry_target,
    responder_target,
)
from tests.support.fuzzing import LoopThread
from tests.support.registry import serving
from tests.support.schemathesis_cli import CliRun, run_schemathesis

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

MAX_EXAMPLES = int(os.environ.get("JOINTCREDIT_CONTRACT_EXAMPLES", "10"))
"""Per operation in the fuzzing phase; a deeper run: JOINTCREDIT_CONTRACT_EXAMPLES=100."""


UNLIMITED = {"public_rate_limit": "", "client_rate_limit": ""}
"""The initiator without rate limits: the run sends hundreds of requests a second, and limits
are counted before a token is read, so a 429 would stand in for the 401 that schemathesis'
missing-header check waits for (429s with `Retry-After` are tested in test_rate_limits)."""


@pytest.fixture(scope="module")
def identity_provider(tmp_path_factory: pytest.TempPathFactory) -> TestIdentityProvider:
    """Trusted by the initiator, so that the subjects' filings verify ID tokens (and refuse
    the run's with 401) rather than answer 503 for an identity provider they cannot reach."""
    return TestIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def _run(loop: LoopThread, target: Target) -> CliRun:
    stack = AsyncExitStack()

    async def start() -> tuple[str, dict[str, str]]:
        app, _, headers = await target(stack)
        return await stack.enter_async_context(serving(app)), headers

    base_url, headers = loop.run(start())
    try:
        return run_schemathesis(base_url, headers, max_examples=MAX_EXAMPLES)
    finally:
        loop.run(stack.aclose())


def test_registry_contract(loop: LoopThread, database_url: str, bootstrap: str) -> None:
    run = _run(loop, registry_target(database_url, bootstrap))
    assert run.returncode == 0, run.tail()


def test_initiator_contract(
    loop: LoopThread,
    database_url: str,
    bootstrap: str,
    authority: TestAuthority,
    identity_provider: TestIdentityProvider,
) -> None:
    settings = UNLIMITED | identity_provider.settings
    run = _run(loop, initiator_target(database_url, bootstrap, authority, **settings))
    assert run.returncode == 0, run.tail()


def test_responder_contract(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    run = _run(loop, responder_target(database_url, bootstrap, authority))
    assert run.returncode == 0, run.tail()


def test_feedback_contract(
    loop: LoopThread, database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    run = _run(loop, feedback_target(database_url, bootstrap, authority))
    assert run.returncode == 0, run.tail()
