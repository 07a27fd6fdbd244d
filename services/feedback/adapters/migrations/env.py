"""Alembic environment of the feedback database."""

from alembic import context

from services.feedback.adapters.tables import metadata
from shared.persistence.migrations import run_env

run_env(context.config, metadata)
