"""A responder of one department started with its workers, against the real database and broker.

Each harness has its own database and topic prefix; the app runs through its lifespan (the
consumers, the relay and the index load), and the test talks to it over ASGI.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
from fastapi import FastAPI

from jointcredit.service_index import SERVICES
from services.responder.adapters import catalogue_store
from services.responder.domain import clock
from services.responder.entrypoints.app import create
from services.responder.settings import ResponderSettings
from services.responder.state import ResponderState
from shared.auth.principal import Role
from shared.catalogue import Catalogue
from shared.events.designations import DesignationEventType
from shared.events.envelope import Envelope
from shared.kafka import ensure_topics
from shared.persistence.database import drop_database, make_engine, make_sessionmaker
from shared.persistence.migrations import upgrade_to_head
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import (
    designation_event,
    publish,
    seed_catalogue_event,
    seed_document,
    unbundled,
)
from tests.support.infra import FAST_GROUP_TIMEOUTS
from tests.support.kafka import read_until, wait_for

UNREACHABLE_REGISTRY = "http://127.0.0.1:9"


def responder_settings(
    database_url: str, bootstrap: str, department: str, **overrides: object
) -> ResponderSettings:
    values: dict[str, object] = {
        "environment": "test",
        "department_code": department,
        "database_url": database_url,
        "database_name": f"responder_t_{uuid.uuid4().hex[:12]}",
        "kafka_bootstrap_servers": bootstrap,
        "topic_prefix": f"t{uuid.uuid4().hex[:8]}.",
        "topic_partitions": 3,
        "consumer_backoff_initial_s": 0.01,
        "consumer_max_attempts": 3,
        "outbox_poll_interval_s": 0.2,
        "registry_url": UNREACHABLE_REGISTRY,
        "catalogue_fetch_attempts": 1,
        "catalogue_fetch_timeout_s": 1.0,
        **FAST_GROUP_TIMEOUTS,
    }
    values.update(overrides)
    return ResponderSettings.model_validate(values)


class ResponderHarness:
    """`async with ResponderHarness(...) as responder:` a running responder of `department`."""

    def __init__(
        self,
        database_url: str,
        bootstrap: str,
        authority: TestAuthority,
        department: str = "court",
        *,
        seed_catalogue: bool = True,
        catalogue_stored: bool = True,
        **overrides: object,
    ) -> None:
        self.authority = authority
        self.bootstrap = bootstrap
        self.department = department
        self.seed_catalogue = seed_catalogue
        self.catalogue_stored = catalogue_stored
        overrides.setdefault("auth_jwks_url", authority.jwks_url)
        self.settings = responder_settings(database_url, bootstrap, department, **overrides)
        self.owns_database = True
        self.app: FastAPI | None = None
        self._lifespan: AbstractAsyncContextManager[Any] | None = None
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> ResponderHarness:
        await upgrade_to_head(SERVICES["responder"].migrations_dir, self.settings)
        await ensure_topics(self.bootstrap, 3, self.settings.all_topics)
        if self.seed_catalogue:
            await publish(self.settings, Topic.CATALOGUE, [seed_catalogue_event()])
        if self.catalogue_stored:
            await self.store_catalogue(Catalogue.from_document(seed_document(), 1))
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
        assert self.settings.database_name
        if self.owns_database:
            await drop_database(self.settings.database_url, self.settings.database_name)

    def replica(self) -> ResponderHarness:
        """Another replica of this responder: the same department, database, topics and
        consumer groups, as a second pod of one deployment (the database stays this one's)."""
        twin = ResponderHarness(
            self.settings.database_url,
            self.bootstrap,
            self.authority,
            self.department,
            seed_catalogue=False,
            catalogue_stored=False,
        )
        twin.settings = self.settings.model_copy()
        twin.owns_database = False
        return twin

    async def execute(self, sql: str) -> None:
        """Run a statement on this responder's database (to set up a fault)."""
        connection = await asyncpg.connect(self.settings.plain_database_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def store_catalogue(self, catalogue: Catalogue) -> None:
        """As if the responder had held it before (or read it from the registry): the
        designation consumer then starts at once instead of after the catalogue's."""
        engine = make_engine(self.settings)
        try:
            async with make_sessionmaker(engine)() as session:
                await catalogue_store.save(session, catalogue)
                await session.commit()
        finally:
            await engine.dispose()

    async def start(self) -> None:
        self.app = create(self.settings)
        lifespan: AbstractAsyncContextManager[Any] = self.app.router.lifespan_context(self.app)
        await lifespan.__aenter__()
        self._lifespan = lifespan
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://responder")

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._lifespan is not None:
            await self._lifespan.__aexit__(None, None, None)
            self._lifespan = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def client(self) -> httpx.AsyncClient:
        assert self._client is not None, "the responder is not running"
        return self._client

    @property
    def state(self) -> ResponderState:
        assert self.app is not None
        state: ResponderState = self.app.state.responder
        return state

    def headers(self, department: str | None = None, *roles: Role | str) -> dict[str, str]:
        return self.authority.headers(department or self.department, *(roles or (Role.responder,)))

    async def ready(self) -> None:
        """Wait until the catalogue is held and the check index is loaded and caught up."""
        await wait_for(lambda: self.state.index_ready, timeout_s=30)

    async def publish(self, *events: Envelope) -> None:
        await publish(self.settings, Topic.DESIGNATIONS, events)

    async def publish_states(
        self, kind: DesignationEventType, *states: dict[str, Any]
    ) -> list[Envelope]:
        events = [designation_event(state, kind) for state in states]
        await self.publish(*events)
        return events

    async def held(self, designation_id: uuid.UUID | str) -> dict[str, Any] | None:
        response = await self.client.get(
            f"/v1/designations/{designation_id}", headers=self.headers()
        )
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def indexed_versions(self, designation_id: uuid.UUID | str) -> set[int]:
        wanted = uuid.UUID(str(designation_id))
        return {
            record.version
            for _, record in self.state.index.records()
            if record.designation_id == wanted
        }

    async def settled(self, designation_id: uuid.UUID | str, version: int) -> dict[str, Any]:
        """Wait until `version` is held and the index reflects it; returns what is held."""
        held: dict[str, Any] | None = None

        async def reached() -> bool:
            nonlocal held
            held = await self.held(designation_id)
            if held is None or held["version"] != version:
                return False
            in_force = any(t["state"] == "in_force" for t in held["targets"])
            indexed = self.indexed_versions(designation_id)
            return indexed == ({version} if in_force else set())

        await wait_for(reached, timeout_s=30)
        assert held is not None
        return held

    async def ignored(self, designation_id: uuid.UUID | str, count: int) -> None:
        async def counted() -> bool:
            held = await self.held(designation_id)
            return held is not None and held["ignored_events"] >= count

        await wait_for(counted, timeout_s=30)

    async def check(
        self, subject_id: str, scenario: str | None = None, **headers: str
    ) -> httpx.Response:
        params = {"scenario": scenario} if scenario else None
        return await self.client.get(
            f"/v1/checks/{subject_id}", params=params, headers=headers or self.headers()
        )

    async def measures(self, subject_id: str, scenario: str | None = None) -> list[dict[str, Any]]:
        response = await self.check(subject_id, scenario)
        assert response.status_code == 200, response.text
        measures: list[dict[str, Any]] = response.json()["measures"]
        return measures

    async def receipts(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 30.0
    ) -> list[dict[str, Any]]:
        """The receipts on the receipts topic as parsed envelopes (bundles unpacked: one per
        receipt), once `done(envelopes)` holds."""

        def parsed(records: Iterable[Any]) -> list[dict[str, Any]]:
            return [
                receipt for record in records for receipt in unbundled(orjson.loads(record.value))
            ]

        records = await read_until(
            self.bootstrap,
            self.settings.topic(Topic.RECEIPTS),
            lambda found: done(parsed(found)),
            timeout_s=timeout_s,
        )
        return parsed(records)


def days_from_today(days: int) -> date:
    """An Asia/Shanghai date relative to today there."""
    return clock.today() + timedelta(days=days)


def of_designation(envelopes: list[dict[str, Any]], designation_id: str) -> list[dict[str, Any]]:
    return [e for e in envelopes if e["data"]["designation_id"] == designation_id]


def receipt_kinds(envelopes: list[dict[str, Any]], version: int | None = None) -> list[str]:
    """Receipt types without prefix and version suffix, e.g. `measure-lifted`."""
    return sorted(
        e["type"].removeprefix("cn.jointcredit.receipt.").removesuffix(".v1")
        for e in envelopes
        if version is None or e["data"]["designation_version"] == version
    )
