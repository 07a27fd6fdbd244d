"""The registry database: its own tables plus the outbox and inbox."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY

from shared.audit.tables import add_audit_table
from shared.delivery.tables import add_delivery_tables

metadata = MetaData()
delivery = add_delivery_tables(metadata)
audit_log = add_audit_table(metadata)

# JSON (not JSONB) keeps the records' key order as published.
catalogue_versions = Table(
    "catalogue_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("published_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_by", String(200), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("event_key", String(200), nullable=False),
    Column("changes", JSON, nullable=False),
    Column("snapshot", JSON, nullable=False),
)

memorandum_drafts = Table(
    "memorandum_drafts",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("base_version", Integer, nullable=True),
    Column("base", JSON, nullable=True),
    Column("content", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", String(200), nullable=False),
)

api_clients = Table(
    "api_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("department_code", String(64), nullable=False),
    Column("roles", ARRAY(String(32)), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(300), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", String(200), nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("deleted_by", String(200), nullable=True),
    Index("api_clients_department", "department_code"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=True),
    Column("encrypted", Boolean, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("signs_from", DateTime(timezone=True), nullable=False),
    Column("signs_until", DateTime(timezone=True), nullable=True),
    Column("retire_after", DateTime(timezone=True), nullable=True),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)
