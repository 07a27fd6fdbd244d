"""The initiator service under test: a fresh migrated database, the app with its workers, helpers.

Databases are copied from one migrated template per test process (CREATE DATABASE … TEMPLATE), so
each test gets a fresh database in a fraction of a second; the template is dropped at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import text

from jointcredit.service_index import SERVICES
from services.initiator.bootstrap import CONSUMER, REGISTRY_FOLLOWER, SCHEDULER, Initiator
from services.initiator.entrypoints.app import create
from services.initiator.handlers.catalogue import store_document
from services.initiator.settings import InitiatorSettings
from shared.auth.principal import Role
from shared.events.envelope import Envelope
from shared.identifiers import make_credit_code
from shared.persistence.database import drop_database
from shared.persistence.migrations import upgrade_to_head
from shared.settings import libpq_url
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import person_id, seed_document
from tests.support.infra import FAST_GROUP_TIMEOUTS
from tests.support.kafka import read_until

_templates: dict[str, str] = {}
_template_lock = asyncio.Lock()


def _drop_templates() -> None:
    for database_url, name in _templates.items():
        asyncio.run(drop_database(database_url, name))


async def _template(database_url: str) -> str:
    async with _template_lock:
        if database_url not in _templates:
            name = f"initiator_tpl_{uuid.uuid4().hex[:12]}"
            settings = InitiatorSettings(
                database_url=database_url, database_name=name, kafka_bootstrap_servers="unused:1"
            )
            await upgrade_to_head(SERVICES["initiator"].migrations_dir, settings)
            if not _templates:
                atexit.register(_drop_templates)
            _templates[database_url] = name
        return _templates[database_url]


async def fresh_initiator_database(database_url: str) -> str:
    """A new database with the initiator's schema (migrations 0001…head)."""
    template = await _template(database_url)
    name = f"initiator_t_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(libpq_url(database_url, "postgres"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
    return name


def unique_serial() -> int:
    return uuid.uuid4().int % 10**8


def organisation_id(serial: int | None = None) -> str:
    return make_credit_code(str(serial if serial is not None else unique_serial()))


def designation_body(
    *,
    kind: str = "organisation",
    subject_id: str | None = None,
    name: str | None = None,
    memorandum_code: str = "dishonest_judgment_debtors",
    list_type: str = "black",
    document_number: str | None = None,
    decided_at: datetime | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    responsible_persons: list[dict[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid POST /v1/designations body for the seed catalogue (court, 失信被执行人)."""
    serial = unique_serial()
    if subject_id is None:
        subject_id = organisation_id(serial) if kind == "organisation" else person_id(serial)
    today = datetime.now(UTC).date()
    return {
        "subject": {
            "kind": kind,
            "id": subject_id,
            "name": name or ("测试科技有限公司" if kind == "organisation" else "张三丰"),
        },
        "list_type": list_type,
        "memorandum_code": memorandum_code,
        "reason": "有履行能力而拒不履行生效法律文书确定的义务",
        "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        "document_number": document_number or f"(2026)闽01执{serial}号",
        "evidence": ["执行裁定书", "送达回证"],
        "decided_at": (decided_at or datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "period_start": (period_start or today).isoformat(),
        "period_end": (period_end or date(today.year + 2, 12, 31)).isoformat(),
        "responsible_persons": responsible_persons or [],
        **extra,
    }


def legal_representative(serial: int | None = None, name: str = "李四") -> dict[str, str]:
    return {
        "role": "legal_representative",
        "id": person_id(serial if serial is not None else unique_serial()),
        "name": name,
    }


class InitiatorHarness:
    """The initiator app on a fresh database and a private topic prefix, with its lifespan."""

    def __init__(
        self,
        database_url: str,
        bootstrap: str,
        authority: TestAuthority,
        *,
        catalogue: bool = True,
        consume: bool = False,
        follow_registry: bool = False,
        schedule: bool = True,
        database: str | None = None,
        topic_prefix: str | None = None,
        **overrides: Any,
    ) -> None:
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.authority = authority
        self.with_catalogue = catalogue
        self.consume = consume
        self.follow_registry = follow_registry
        self.schedule = schedule
        self.database = database
        self.owns_database = database is None
        self.prefix = topic_prefix or f"t{uuid.uuid4().hex[:8]}."
        self.overrides = overrides

    async def __aenter__(self) -> InitiatorHarness:
        if self.database is None:
            self.database = await fresh_initiator_database(self.database_url)
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": self.database_url,
            "database_name": self.database,
            "kafka_bootstrap_servers": self.bootstrap,
            "topic_prefix": self.prefix,
            "topic_partitions": 3,
            "consumer_group": f"initiator-{uuid.uuid4().hex[:8]}",
            "consumer_backoff_initial_s": 0.01,
            "consumer_max_attempts": 3,
            "auth_jwks_url": self.authority.jwks_url,
            "registry_url": "http://127.0.0.1:9",
            "expiry_interval_s": 0.3,
            "outbox_poll_interval_s": 0.2,
            "database_pool_size": 5,
            **FAST_GROUP_TIMEOUTS,
            **self.overrides,
        }
        self.settings = InitiatorSettings.model_validate(values)
        self.app = create(self.settings)
        workers = self.initiator.runtime.workers
        if not self.consume:
            workers.pop(CONSUMER)
        if not self.follow_registry:
            workers.pop(REGISTRY_FOLLOWER)
        if not self.schedule:
            workers.pop(SCHEDULER)
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://initiator")
        if self.with_catalogue:
            await self.store_seed_catalogue()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
        if self.owns_database and self.database:
            await drop_database(self.database_url, self.database)

    async def stop(self) -> None:
        """Stop the app and its workers (the database stays)."""
        await self.client.aclose()
        await self.initiator.imports.wait_idle()
        await self._lifespan.__aexit__(None, None, None)

    @property
    def initiator(self) -> Initiator:
        app: FastAPI = self.app
        initiator: Initiator = app.state.initiator
        return initiator

    async def store_seed_catalogue(self) -> None:
        async with self.initiator.context.unit_of_work() as uow:
            await store_document(uow.session, {**seed_document(), "version": 1})
            await uow.commit()

    def headers(self, department: str = "court", *roles: Role | str) -> dict[str, str]:
        return self.authority.headers(department, *(roles or (Role.initiator,)))

    async def designate(self, department: str = "court", **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/designations", json=designation_body(**body), headers=self.headers(department)
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def scalar(self, query: str, **params: Any) -> Any:
        async with self.initiator.context.unit_of_work() as uow:
            return (await uow.session.execute(text(query), params)).scalar()

    async def execute(self, query: str, **params: Any) -> None:
        async with self.initiator.context.unit_of_work() as uow:
            await uow.session.execute(text(query), params)
            await uow.commit()

    async def designation_events(
        self, done: Callable[[list[Envelope]], bool], timeout_s: float = 30.0
    ) -> list[Envelope]:
        """Designation events read back from the broker (in partition order), once `done`."""

        def parsed(records: list[Any]) -> list[Envelope]:
            return [Envelope.parse(record.value) for record in records]

        records = await read_until(
            self.bootstrap,
            self.settings.topic(Topic.DESIGNATIONS),
            lambda records: done(parsed(records)),
            timeout_s,
        )
        return parsed(records)

    async def event_types_of(self, designation_id: str, count: int) -> list[str]:
        """The event types of one designation, in the order the broker holds them."""

        def of(events: list[Envelope]) -> list[Envelope]:
            return [e for e in events if e.subject == designation_id]

        events = await self.designation_events(lambda events: len(of(events)) >= count)
        return [e.type.removeprefix("cn.jointcredit.") for e in of(events)]
