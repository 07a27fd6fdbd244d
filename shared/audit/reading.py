"""Reading entries back: filters of the oversight route and its export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, RowMapping, Select, select

from shared.audit.entries import Entry
from shared.audit.tables import add_audit_table

audit_table = add_audit_table(MetaData())


def entry_of(row: RowMapping) -> Entry:
    return Entry(**{name: row[name] for name in Entry.__dataclass_fields__})


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    department: str | None = None
    client: str | None = None
    after: int = 0
    """Entries with a larger sequence only (the page's cursor)."""


def entries_query(where: AuditFilter, limit: int | None) -> Select[Any]:
    """Oldest first, by sequence; `since` inclusive, `until` exclusive."""
    table = audit_table
    query = select(table).where(table.c.sequence > where.after).order_by(table.c.sequence)
    if where.since is not None:
        query = query.where(table.c.at >= where.since)
    if where.until is not None:
        query = query.where(table.c.at < where.until)
    if where.action is not None:
        query = query.where(table.c.action == where.action)
    if where.department is not None:
        query = query.where(table.c.department == where.department)
    if where.client is not None:
        query = query.where(table.c.client == where.client)
    return query.limit(limit) if limit is not None else query
