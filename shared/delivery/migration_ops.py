"""Alembic operations creating the outbox and inbox, called by each service's first migration."""

from __future__ import annotations

from alembic import op
from sqlalchemy import MetaData

from shared.delivery.tables import add_delivery_tables


def create_delivery_tables() -> None:
    metadata = MetaData()
    add_delivery_tables(metadata)
    metadata.create_all(op.get_bind())


def drop_delivery_tables() -> None:
    metadata = MetaData()
    add_delivery_tables(metadata)
    metadata.drop_all(op.get_bind())
