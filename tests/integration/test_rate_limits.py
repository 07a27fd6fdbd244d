"""Rate limits: per client address on the public routes, per client id on the others; 429 as
problem+json with `Retry-After`, and admitted again once the window has moved on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
import pytest_asyncio

from shared.auth.principal import Role
from tests.support.auth import TestAuthority, TestIdentityProvider
from tests.support.initiator import InitiatorHarness

pytestmark = pytest.mark.integration

LIMIT = 3


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> TestIdentityProvider:
    return TestIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest_asyncio.fixture(loop_scope="session")
async def initiator(
    database_url: str, bootstrap: str, authority: TestAuthority, idp: TestIdentityProvider
) -> AsyncIterator[InitiatorHarness]:
    async with InitiatorHarness(
        database_url,
        bootstrap,
        authority,
        schedule=False,
        public_rate_limit=f"{LIMIT}/second",
        client_rate_limit=f"{LIMIT}/second",
        **idp.settings,
    ) as harness:
        yield harness


def _assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["limit"] == f"{LIMIT} per 1 second"


async def _admitted_again(
    call: Callable[[], Awaitable[httpx.Response]], deadline_s: float = 10.0
) -> httpx.Response:
    """Polls until the window lets a call through again (no fixed sleep)."""
    deadline = time.monotonic() + deadline_s
    while True:
        response = await call()
        if response.status_code != 429 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


async def test_public_routes_are_limited_per_client_address(initiator: InitiatorHarness) -> None:
    async def black_list() -> httpx.Response:
        return await initiator.client.get("/v1/public/lists/black")

    answers = [await black_list() for _ in range(LIMIT)]
    assert [a.status_code for a in answers] == [200] * LIMIT
    _assert_limited(await black_list())
    filing = await initiator.client.post("/v1/public/objections", json={})
    _assert_limited(filing)  # counted before the ID token is even looked at

    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=initiator.app, client=("198.51.100.7", 4242)),
        base_url="http://initiator",
    )
    async with other:
        assert (await other.get("/v1/public/lists/red")).status_code == 200

    recovered = await _admitted_again(black_list)
    assert recovered.status_code == 200, recovered.text


async def test_authenticated_routes_are_limited_per_client(
    initiator: InitiatorHarness, authority: TestAuthority
) -> None:
    court = initiator.headers("court", Role.initiator)

    async def listing() -> httpx.Response:
        return await initiator.client.get("/v1/designations", headers=court)

    assert [(await listing()).status_code for _ in range(LIMIT)] == [200] * LIMIT
    limited = await listing()
    _assert_limited(limited)
    assert "court-client" in limited.json()["detail"]
    market = authority.headers("market", Role.initiator)
    assert (await initiator.client.get("/v1/designations", headers=market)).status_code == 200
    designations = await initiator.scalar("SELECT count(*) FROM designations")
    refused = await initiator.client.post("/v1/designations", json={}, headers=court)
    assert refused.status_code == 429
    assert await initiator.scalar("SELECT count(*) FROM designations") == designations

    recovered = await _admitted_again(listing)
    assert recovered.status_code == 200, recovered.text
