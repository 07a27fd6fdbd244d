"""Alembic environment of the registry database."""

from alembic import context

from services.registry.adapters.tables import metadata
from shared.persistence.migrations import run_env

run_env(context.config, metadata)
