"""Test access to the real PostgreSQL and broker: a fresh database per test, settings for it."""

from __future__ import annotations

import uuid

from sqlalchemy import MetaData

from jointcredit.infra import manager
from shared.audit.migration_ops import AUDIT_APPEND_FUNCTION
from shared.audit.tables import add_audit_table
from shared.delivery.tables import add_delivery_tables
from shared.persistence.database import ensure_database, make_engine
from shared.settings import ServiceSettings

FAST_GROUP_TIMEOUTS = {
    "kafka_session_timeout_ms": 6000,
    "kafka_heartbeat_interval_ms": 300,
    "kafka_rebalance_timeout_ms": 1500,
}


def ensure_infra() -> manager.InfraStatus:
    return manager.up()


def settings_for(
    database_url: str, bootstrap: str, database_name: str, **overrides: object
) -> ServiceSettings:
    values: dict[str, object] = {
        "environment": "test",
        "service_name": "test",
        "database_url": database_url,
        "database_name": database_name,
        "kafka_bootstrap_servers": bootstrap,
        "topic_partitions": 3,
        "consumer_backoff_initial_s": 0.01,
        "consumer_max_attempts": 3,
        **FAST_GROUP_TIMEOUTS,
    }
    values.update(overrides)
    return ServiceSettings.model_validate(values)


async def fresh_delivery_database(database_url: str, prefix: str = "t") -> str:
    """A new database holding the outbox, inbox and audit_log tables and `audit_append()`
    (which every service database has); returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await ensure_database(database_url, name)
    metadata = MetaData()
    add_delivery_tables(metadata)
    add_audit_table(metadata)
    engine = make_engine(settings_for(database_url, "unused:1", name))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.exec_driver_sql(AUDIT_APPEND_FUNCTION)
    await engine.dispose()
    return name
