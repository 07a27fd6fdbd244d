"""Alembic environment of the responder database."""

from alembic import context

from services.responder.adapters.tables import metadata
from shared.persistence.migrations import run_env

run_env(context.config, metadata)
