"""Department credentials: clients, tokens verified in another service from the registry's JWKS
over HTTP, key rotation without downtime, and a department never acting for another."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from services.registry.adapters import credential_store
from services.registry.entrypoints.app import create
from shared.auth import Principal, Role, install_authenticator, require_roles
from shared.auth.jwks import CachedJwks
from shared.web.problems import install_problem_handlers
from tests.support.kafka import wait_for
from tests.support.registry import RegistryUnderTest, running_registry, serving

pytestmark = pytest.mark.integration


@pytest.fixture
async def registry(database_url: str, bootstrap: str) -> AsyncIterator[RegistryUnderTest]:
    async with running_registry(
        database_url, bootstrap, token_lifetime_s=4, key_retirement_margin_s=0, key_cache_s=0.2
    ) as under_test:
        await under_test.seed()
        yield under_test


def _service(jwks_url: str) -> FastAPI:
    """Another service, verifying tokens the way every service does."""
    app = FastAPI()
    install_problem_handlers(app)
    install_authenticator(app, CachedJwks(jwks_url, ttl_s=0.5, min_refresh_s=0.0))

    @app.get("/v1/departments/{code}/checks")
    async def checks(
        code: str, principal: Annotated[Principal, Depends(require_roles(Role.responder))]
    ) -> dict[str, str]:
        principal.require_department(code)
        return {"client": principal.client_id, "department": principal.department_code}

    return app


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(httpx.Response(200, content=base64.urlsafe_b64decode(header + "==")).json()["kid"])


async def test_tokens_verify_from_the_jwks_and_survive_a_rotation(
    registry: RegistryUnderTest,
) -> None:
    client_id, secret = await registry.issue("market", Role.responder)
    first = await registry.token(client_id, secret)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    by_basic = await registry.client.post(
        "/v1/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert by_basic.status_code == 200, by_basic.text
    assert by_basic.json()["token_type"] == "Bearer"
    assert by_basic.json()["expires_in"] == 4
    assert by_basic.headers["cache-control"] == "no-store"

    async with serving(registry.app) as registry_url:
        jwks_url = f"{registry_url}/.well-known/jwks.json"
        service = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=_service(jwks_url)), base_url="http://service"
        )
        async with service:
            allowed = await service.get("/v1/departments/market/checks", headers=_bearer(first))
            assert allowed.status_code == 200, allowed.text
            assert allowed.json() == {"client": client_id, "department": "market"}
            other = await service.get("/v1/departments/court/checks", headers=_bearer(first))
            assert other.status_code == 403

            admin = await registry.admin_headers()
            rotated = await registry.client.post("/v1/keys/rotate", headers=admin)
            assert rotated.status_code == 200, rotated.text
            old_kid = _kid(first)
            assert [k["kid"] for k in rotated.json()["superseded"]] == [old_kid]
            new_kid = rotated.json()["kid"]
            keys = (await registry.client.get("/.well-known/jwks.json")).json()["keys"]
            assert {k["kid"] for k in keys} == {old_kid, new_kid}

            second = await registry.token(client_id, secret)
            assert _kid(second) == new_kid != old_kid
            for token in (first, second):
                response = await service.get(
                    "/v1/departments/market/checks", headers=_bearer(token)
                )
                assert response.status_code == 200, response.text
            assert (await registry.client.get("/v1/keys", headers=admin)).status_code == 200

            async def old_key_retired() -> bool:
                listed = (await registry.client.get("/.well-known/jwks.json")).json()["keys"]
                return old_kid not in {k["kid"] for k in listed}

            await wait_for(old_key_retired, timeout_s=20)
            fresh = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=_service(jwks_url)), base_url="http://fresh"
            )
            async with fresh:
                rejected = await fresh.get("/v1/departments/market/checks", headers=_bearer(first))
                assert rejected.status_code == 401
                assert "does not know" in rejected.json()["detail"]
                accepted = await fresh.get("/v1/departments/market/checks", headers=_bearer(second))
                assert accepted.status_code == 200

            async def registry_refuses_the_old_key() -> bool:
                response = await registry.client.get("/v1/keys", headers=admin)
                return response.status_code == 401

            await wait_for(registry_refuses_the_old_key, timeout_s=5)

    new_admin = await registry.admin_headers()
    again = await registry.client.post("/v1/keys/rotate", headers=new_admin)
    assert again.json()["retired"] == [old_kid]


async def test_wrong_secrets_and_malformed_requests(registry: RegistryUnderTest) -> None:
    client_id, secret = await registry.issue("court", Role.initiator)
    for data in (
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"},
        {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": secret},
        {"grant_type": "client_credentials", "client_id": client_id},
    ):
        response = await registry.client.post("/v1/token", data=data)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["error"] == "invalid_client"
        assert secret not in response.text
    wrong_basic = await registry.client.post(
        "/v1/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!"},
    )
    assert wrong_basic.status_code == 401

    for request in (
        {"data": {"client_id": client_id, "client_secret": secret}},
        {"data": {"grant_type": "password", "client_id": client_id, "client_secret": secret}},
        {"json": {"grant_type": "client_credentials"}},
    ):
        response = await registry.client.post("/v1/token", **request)  # type: ignore[arg-type]
        assert response.status_code == 422, request
        assert response.json()["errors"][0]["location"] == "body.grant_type"

    admin = await registry.admin_headers()
    invalid = await registry.client.post(
        "/v1/clients",
        json={"department_code": "Market!", "roles": ["boss"], "extra": 1},
        headers=admin,
    )
    assert invalid.status_code == 422
    assert {e["location"] for e in invalid.json()["errors"]} == {
        "body.department_code",
        "body.roles.0",
        "body.extra",
    }
    unknown = await registry.client.post(
        "/v1/clients", json={"department_code": "mars", "roles": ["responder"]}, headers=admin
    )
    assert unknown.status_code == 422
    assert "unknown department 'mars'" in unknown.json()["detail"]


async def test_a_department_admin_manages_only_its_own_clients(
    registry: RegistryUnderTest,
) -> None:
    client = registry.client
    market_admin = await registry.headers("market", Role.admin)
    platform_admin = await registry.admin_headers()
    market_responder = await registry.headers("market", Role.responder)

    issued = await client.post(
        "/v1/clients",
        json={"department_code": "market", "roles": ["responder"], "name": "审批系统"},
        headers=market_admin,
    )
    assert issued.status_code == 201, issued.text
    own = issued.json()
    assert own["client_secret"]
    assert own["department_code"] == "market"
    token = await registry.token(own["client_id"], own["client_secret"])
    assert token

    for body in (
        {"department_code": "court", "roles": ["responder"]},
        {"department_code": "market", "roles": ["oversight"]},
    ):
        refused = await client.post("/v1/clients", json=body, headers=market_admin)
        assert refused.status_code == 403, body
    not_admin = await client.post(
        "/v1/clients",
        json={"department_code": "market", "roles": ["responder"]},
        headers=market_responder,
    )
    assert not_admin.status_code == 403

    court = await client.post(
        "/v1/clients",
        json={"department_code": "court", "roles": ["initiator", "oversight"]},
        headers=platform_admin,
    )
    assert court.status_code == 201
    court_id = court.json()["client_id"]

    listed = (await client.get("/v1/clients", headers=market_admin)).json()
    assert {c["department_code"] for c in listed["items"]} == {"market"}
    assert own["client_id"] in {c["client_id"] for c in listed["items"]}
    assert "secret" not in str(listed)
    assert (
        await client.get("/v1/clients", params={"department": "court"}, headers=market_admin)
    ).status_code == 403
    everyone = (await client.get("/v1/clients", headers=platform_admin)).json()
    assert {"market", "court", "fgw"} <= {c["department_code"] for c in everyone["items"]}
    assert (await client.get(f"/v1/clients/{court_id}", headers=market_admin)).status_code == 403
    assert (await client.delete(f"/v1/clients/{court_id}", headers=market_admin)).status_code == 403

    deleted = await client.delete(f"/v1/clients/{own['client_id']}", headers=platform_admin)
    assert deleted.status_code == 204
    no_token = await client.post(
        "/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": own["client_id"],
            "client_secret": own["client_secret"],
        },
    )
    assert no_token.status_code == 401
    assert (
        await client.delete(f"/v1/clients/{own['client_id']}", headers=platform_admin)
    ).status_code == 404

    market_admin_id = (await client.get("/v1/clients", headers=market_admin)).json()["items"][0][
        "client_id"
    ]
    await client.delete(f"/v1/clients/{market_admin_id}", headers=platform_admin)
    revoked = await client.get("/v1/clients", headers=market_admin)
    assert revoked.status_code == 401
    assert "deleted" in revoked.json()["detail"]


async def test_private_keys_are_encrypted_with_the_passphrase(
    database_url: str, bootstrap: str
) -> None:
    async with running_registry(
        database_url, bootstrap, signing_key_passphrase="长口令 with spaces"
    ) as registry:
        await registry.seed()
        client_id, secret = await registry.issue("court", Role.initiator)
        assert await registry.token(client_id, secret)
        async with registry.registry.runtime.sessions() as session:
            rows = await credential_store.keys(session)
        assert [r.encrypted for r in rows] == [True]
        assert (rows[0].private_pem or "").startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")

        without = create(registry.settings.model_copy(update={"signing_key_passphrase": None}))
        transport = httpx.ASGITransport(app=without)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as other:
                refused = await other.post(
                    "/v1/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": client_id,
                        "client_secret": secret,
                    },
                )
        finally:
            await without.state.registry.runtime.engine.dispose()
        assert refused.status_code == 503
        assert "SIGNING_KEY_PASSPHRASE" in refused.json()["detail"]
