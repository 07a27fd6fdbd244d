"""The initiator database: its own tables plus the outbox and inbox."""

from __future__ import annotations

from sqlalchemy import MetaData

from shared.delivery.tables import add_delivery_tables

metadata = MetaData()
delivery = add_delivery_tables(metadata)
