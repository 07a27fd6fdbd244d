"""The responder's migrations create exactly the tables its code declares."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from jointcredit.service_index import SERVICES
from services.responder.adapters.tables import metadata
from shared.persistence.database import drop_database, make_engine
from shared.persistence.migrations import upgrade_to_head
from tests.support.responder import responder_settings

pytestmark = pytest.mark.integration


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, metadata))


async def test_migrations_match_the_declared_tables(database_url: str, bootstrap: str) -> None:
    settings = responder_settings(
        database_url, bootstrap, "court", database_name=f"responder_m_{uuid.uuid4().hex[:12]}"
    )
    assert settings.database_name
    await upgrade_to_head(SERVICES["responder"].migrations_dir, settings)
    engine = make_engine(settings)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
        await drop_database(database_url, settings.database_name)
