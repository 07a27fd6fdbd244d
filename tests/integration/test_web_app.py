"""The app factory: problem+json for every failure, health, readiness and metrics."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from shared.identifiers import CreditCode
from shared.runtime import Runtime
from shared.web.app import create_app
from shared.web.problems import Problem
from tests.support.infra import settings_for

pytestmark = pytest.mark.integration

router = APIRouter()


class Body(BaseModel):
    code: CreditCode


@router.post("/things")
async def create_thing(body: Body) -> dict[str, str]:
    return {"code": body.code}


@router.get("/conflict")
async def conflict() -> None:
    raise Problem(409, "designation 7 is revoked; it cannot be suspended", current="revoked")


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals /etc/passwd")


def _client(database_url: str, bootstrap: str, database: str = "postgres") -> httpx.AsyncClient:
    runtime = Runtime.create(settings_for(database_url, bootstrap, database, run_relay=False))
    app = create_app(runtime, title="t", description="t", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_errors_are_problem_documents(database_url: str, bootstrap: str) -> None:
    async with _client(database_url, bootstrap) as client:
        invalid = await client.post("/things", json={"code": "91350100M000100Y44"})
        assert invalid.status_code == 422
        assert invalid.headers["content-type"] == "application/problem+json"
        problem = invalid.json()
        assert problem["errors"][0]["location"] == "body.code"
        assert "check" in problem["detail"]

        missing = await client.get("/nowhere")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "no resource at /nowhere"

        conflict = await client.get("/conflict")
        assert conflict.status_code == 409
        assert conflict.json()["current"] == "revoked"

        failed = await client.get("/boom")
        assert failed.status_code == 500
        assert failed.headers["content-type"] == "application/problem+json"
        assert "passwd" not in failed.text
        assert "Traceback" not in failed.text
        assert failed.json()["trace_id"]

        malformed = await client.post(
            "/things", content=b"{", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 422
        assert malformed.headers["content-type"] == "application/problem+json"


async def test_readiness_needs_both_database_and_broker(database_url: str, bootstrap: str) -> None:
    async with _client(database_url, bootstrap) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert "jointcredit_outbox_published_total" in (await client.get("/metrics")).text
    async with _client(database_url, "127.0.0.1:1") as client:
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["broker"] == "down"
    async with _client(database_url, bootstrap, database="no_such_database") as client:
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["database"] == "down"


async def test_traceparent_is_adopted_and_echoed(database_url: str, bootstrap: str) -> None:
    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with _client(database_url, bootstrap) as client:
        response = await client.get("/nowhere", headers={"traceparent": incoming})
        assert response.headers["traceparent"] == incoming
        assert response.json()["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
