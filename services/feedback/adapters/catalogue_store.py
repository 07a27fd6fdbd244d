"""The catalogue version feedback holds: one JSON document, plus lookup tables for reports."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    catalogue_departments,
    catalogue_measures,
    catalogue_memoranda,
    catalogue_state,
)
from shared.catalogue import Catalogue

_CATALOGUE_LOCK = 0x6662_6361
"""Advisory lock: exclusive for a writer of the held catalogue, shared by every consumer batch
that writes designations or receipts (handlers/batch_locks.py)."""


class CatalogueStore:
    """Reads the held catalogue, parsing its document only when the version changed."""

    def __init__(self) -> None:
        self._cached: Catalogue | None = None

    async def lock(self, session: AsyncSession) -> None:
        """Until the transaction ends: no other catalogue writer, no designation or receipt batch."""
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CATALOGUE_LOCK})

    async def lock_shared(self, session: AsyncSession) -> None:
        """Until the transaction ends: the held catalogue does not change under this batch."""
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _CATALOGUE_LOCK}
        )

    async def current(self, session: AsyncSession) -> Catalogue | None:
        version = await session.scalar(
            select(catalogue_state.c.version).where(catalogue_state.c.id == 1)
        )
        if version is None:
            return None
        if self._cached is not None and self._cached.version == version:
            return self._cached
        document = await session.scalar(
            select(catalogue_state.c.document).where(catalogue_state.c.id == 1)
        )
        self._cached = Catalogue.from_document(document or {}, version)
        return self._cached

    async def save(self, session: AsyncSession, catalogue: Catalogue) -> None:
        document = catalogue.as_document()
        upsert = pg_insert(catalogue_state).values(
            id=1, version=catalogue.version, document=document
        )
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=[catalogue_state.c.id],
                set_={
                    "version": catalogue.version,
                    "document": document,
                    "applied_at": text("now()"),
                },
            )
        )
        for table in (catalogue_departments, catalogue_memoranda, catalogue_measures):
            await session.execute(delete(table))
        departments = [
            {
                "code": d.code,
                "name": d.name,
                "level": d.level,
                "region": d.region,
                "kind": d.kind,
                "active": d.active,
            }
            for d in catalogue.departments.values()
        ]
        memoranda = [
            {"code": m.code, "title": m.title, "list_type": m.list_type}
            for m in catalogue.memoranda.values()
        ]
        measures = [
            {"code": m.code, "memorandum_code": m.memorandum, "title": m.title}
            for m in catalogue.measures.values()
        ]
        for table, rows in (
            (catalogue_departments, departments),
            (catalogue_memoranda, memoranda),
            (catalogue_measures, measures),
        ):
            if rows:
                await session.execute(insert(table), rows)
        self._cached = catalogue
