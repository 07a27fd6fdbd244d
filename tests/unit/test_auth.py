"""Department tokens: verified from a JWKS, roles and departments enforced, keys rotated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import orjson
import pytest
from fastapi import Depends, FastAPI

from shared.auth import Principal, Role, install_authenticator, require_roles
from shared.auth.jwks import CachedJwks
from shared.auth.tokens import generate_signing_key, public_jwk, sign_token
from shared.web.problems import install_problem_handlers
from tests.support.auth import TestAuthority

pytestmark = pytest.mark.unit


def _app(jwks_url: str) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_authenticator(app, CachedJwks(jwks_url, min_refresh_s=0.0))

    @app.get("/v1/departments/{code}/things")
    async def things(
        code: str, principal: Annotated[Principal, Depends(require_roles(Role.responder))]
    ) -> dict[str, str]:
        principal.require_department(code)
        return {"department": principal.department_code}

    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_a_valid_token_of_the_right_department_and_role_passes(tmp_path: Path) -> None:
    authority = TestAuthority(tmp_path)
    async with _client(_app(authority.jwks_url)) as client:
        response = await client.get(
            "/v1/departments/court/things", headers=authority.headers("court", Role.responder)
        )
    assert response.status_code == 200
    assert response.json() == {"department": "court"}


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({}, 401, "Authorization: Bearer"),
        ({"Authorization": "Bearer not-a-token"}, 401, "token rejected"),
        ({"Authorization": "Basic abc"}, 401, "Bearer"),
    ],
)
async def test_missing_or_malformed_tokens_are_401_problems(
    tmp_path: Path, headers: dict[str, str], status: int, words: str
) -> None:
    authority = TestAuthority(tmp_path)
    async with _client(_app(authority.jwks_url)) as client:
        response = await client.get("/v1/departments/court/things", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_wrong_role_and_wrong_department_are_403(tmp_path: Path) -> None:
    authority = TestAuthority(tmp_path)
    async with _client(_app(authority.jwks_url)) as client:
        wrong_role = await client.get(
            "/v1/departments/court/things", headers=authority.headers("court", Role.oversight)
        )
        wrong_department = await client.get(
            "/v1/departments/court/things", headers=authority.headers("market", Role.responder)
        )
    assert wrong_role.status_code == 403
    assert "responder" in wrong_role.json()["detail"]
    assert wrong_department.status_code == 403
    assert "'market'" in wrong_department.json()["detail"]


async def test_a_token_from_a_foreign_key_or_expired_is_refused(tmp_path: Path) -> None:
    authority = TestAuthority(tmp_path)
    stranger = generate_signing_key()
    forged = sign_token(stranger, client_id="x", department_code="court", roles=[Role.responder])
    expired = sign_token(
        authority.key, client_id="x", department_code="court", roles=["responder"], now=1_000
    )
    async with _client(_app(authority.jwks_url)) as client:
        for token in (forged, expired):
            response = await client.get(
                "/v1/departments/court/things", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401, response.text


async def test_a_rotated_in_key_is_picked_up_without_restart(tmp_path: Path) -> None:
    authority = TestAuthority(tmp_path)
    app = _app(authority.jwks_url)
    async with _client(app) as client:
        before = await client.get(
            "/v1/departments/court/things", headers=authority.headers("court")
        )
        assert before.status_code == 200
        new_key = generate_signing_key()
        authority.path.write_bytes(
            orjson.dumps({"keys": [public_jwk(authority.key), public_jwk(new_key)]})
        )
        token = sign_token(new_key, client_id="c", department_code="court", roles=["responder"])
        after = await client.get(
            "/v1/departments/court/things", headers={"Authorization": f"Bearer {token}"}
        )
        old = await client.get("/v1/departments/court/things", headers=authority.headers("court"))
    assert after.status_code == 200
    assert old.status_code == 200
