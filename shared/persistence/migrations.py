"""Alembic per service: one `migrations/` folder each, one shared way to run them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.persistence.database import ensure_database
from shared.settings import ServiceSettings


def alembic_config(migrations_dir: Path, settings: ServiceSettings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = settings.async_database_url
    return config


async def upgrade_to_head(migrations_dir: Path, settings: ServiceSettings) -> None:
    """Create the service's database when missing, then apply its migrations."""
    if settings.database_name:
        await ensure_database(settings.database_url, settings.database_name)
    config = alembic_config(migrations_dir, settings)
    await asyncio.to_thread(command.upgrade, config, "head")


def run_env(config: Config, metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py` (online mode only)."""
    url = config.attributes["database_url"]

    def migrate(connection: Connection) -> None:
        from alembic import context

        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
