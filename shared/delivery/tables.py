"""The outbox and inbox tables, added to each service's own metadata."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

OUTBOX = "outbox"
INBOX = "inbox"
OUTBOX_CHANNEL = "jointcredit_outbox"


@dataclass(frozen=True)
class DeliveryTables:
    outbox: Table
    inbox: Table


def add_delivery_tables(metadata: MetaData) -> DeliveryTables:
    """Declare the outbox and the inbox in `metadata` (once per service)."""
    outbox = Table(
        OUTBOX,
        metadata,
        Column("position", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", LargeBinary, nullable=True),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Index("outbox_unsent", "position", postgresql_where=text("sent_at IS NULL")),
        Index("outbox_sent_at", "sent_at"),
    )
    inbox = Table(
        INBOX,
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return DeliveryTables(outbox=outbox, inbox=inbox)
