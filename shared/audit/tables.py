"""The `audit_log` table, declared in each service's metadata and created by its migrations."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData, String, Table, Text

AUDIT_LOG = "audit_log"
AUDIT_LOCK = 0x6A63_6175
"""The advisory lock key of the chain (one chain per database)."""


def add_audit_table(metadata: MetaData) -> Table:
    return Table(
        AUDIT_LOG,
        metadata,
        Column("sequence", BigInteger, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("role", String(200)),
        Column("department", String(64)),
        Column("client", String(200)),
        Column("request_id", String(64)),
        Column("action", String(100), nullable=False),
        Column("target", String(200), nullable=False),
        Column("change", Text, nullable=False),
        Column("previous_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Index("audit_log_at", "at"),
        Index("audit_log_action_at", "action", "at"),
    )
