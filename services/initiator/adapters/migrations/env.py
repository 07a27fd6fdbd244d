"""Alembic environment of the initiator database."""

from alembic import context

from services.initiator.adapters.tables import metadata
from shared.persistence.migrations import run_env

run_env(context.config, metadata)
