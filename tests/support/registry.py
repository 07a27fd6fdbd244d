"""A registry under test: a fresh migrated database, the app over ASGI, its own credentials.

`running_registry` is what the registry tests use; other services' tests can use it too when
they want real registry tokens (`headers`) or the JWKS over HTTP (`serving`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from jointcredit.infra.ports import free_port
from jointcredit.service_index import SERVICES
from services.registry.bootstrap import Registry
from services.registry.entrypoints.app import create
from services.registry.handlers.catalogue import seed
from services.registry.handlers.credentials import issue_client
from services.registry.settings import RegistrySettings
from shared.audit.entries import Actor
from shared.auth.principal import Role
from shared.persistence.database import drop_database
from shared.persistence.migrations import upgrade_to_head
from tests.support.events import seed_document
from tests.support.infra import FAST_GROUP_TIMEOUTS

PLATFORM_ADMIN_DEPARTMENT = "fgw"


def registry_settings(
    database_url: str, bootstrap: str, database_name: str, **overrides: Any
) -> RegistrySettings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "database_name": database_name,
        "kafka_bootstrap_servers": bootstrap,
        "topic_partitions": 3,
        "topic_prefix": f"t{uuid.uuid4().hex[:8]}.",
        "run_relay": False,
        "platform_admin_department": PLATFORM_ADMIN_DEPARTMENT,
        **FAST_GROUP_TIMEOUTS,
        **overrides,
    }
    return RegistrySettings.model_validate(values)


@asynccontextmanager
async def registry_database(database_url: str) -> AsyncIterator[str]:
    """A new database with the registry's migrations applied; dropped afterwards."""
    name = f"registry_{uuid.uuid4().hex[:12]}"
    settings = registry_settings(database_url, "unused:1", name)
    await upgrade_to_head(SERVICES["registry"].migrations_dir, settings)
    try:
        yield name
    finally:
        await drop_database(database_url, name)


@dataclass
class RegistryUnderTest:
    settings: RegistrySettings
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def registry(self) -> Registry:
        registry: Registry = self.app.state.registry
        return registry

    async def seed(self) -> int:
        async with self.registry.runtime.unit_of_work() as uow:
            version, _ = await seed(
                uow, self.registry.catalogue, self.registry.catalogue_topic, seed_document()
            )
        return version

    async def issue(self, department: str, *roles: Role) -> tuple[str, str]:
        """A client issued as the operator CLI does: (client_id, client_secret)."""
        async with self.registry.runtime.unit_of_work() as uow:
            issued = await issue_client(
                uow,
                self.registry.catalogue,
                department_code=department,
                roles=list(roles),
                name=f"{department} test client",
                by=Actor("cli:test", role="operator"),
            )
        return issued.client_id, issued.client_secret

    async def token(self, client_id: str, client_secret: str) -> str:
        response = await self.client.post(
            "/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def headers(self, department: str, *roles: Role) -> dict[str, str]:
        """Authorization headers of a fresh client of `department` with `roles`."""
        token = await self.token(*await self.issue(department, *roles))
        return {"Authorization": f"Bearer {token}"}

    async def admin_headers(self) -> dict[str, str]:
        return await self.headers(PLATFORM_ADMIN_DEPARTMENT, Role.admin)


@asynccontextmanager
async def running_registry(
    database_url: str, bootstrap: str, **overrides: Any
) -> AsyncIterator[RegistryUnderTest]:
    """The registry app on a fresh database (no relay unless `run_relay=True` is passed and
    the caller runs it)."""
    async with registry_database(database_url) as name:
        settings = registry_settings(database_url, bootstrap, name, **overrides)
        app = create(settings)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
                yield RegistryUnderTest(settings, app, client)
        finally:
            await app.state.registry.runtime.engine.dispose()


@asynccontextmanager
async def serving(app: FastAPI, *, lifespan: bool = False) -> AsyncIterator[str]:
    """The app on a real loopback port, for clients that speak HTTP themselves; with its
    lifespan, the service starts as in production (start hooks, the outbox relay)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="on" if lifespan else "off",
            log_config=None,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the test server stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
