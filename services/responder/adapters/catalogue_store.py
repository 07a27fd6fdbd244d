"""The catalogue the responder holds, kept in its database across restarts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters.tables import catalogue_state
from shared.catalogue import Catalogue


async def load(session: AsyncSession) -> Catalogue | None:
    row = (await session.execute(select(catalogue_state))).one_or_none()
    if row is None:
        return None
    return Catalogue.from_document(row.document, row.version)


async def save(session: AsyncSession, catalogue: Catalogue) -> None:
    """Keep `catalogue` unless a newer version is already stored."""
    statement = insert(catalogue_state).values(
        id=1, version=catalogue.version, document=catalogue.as_document()
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[catalogue_state.c.id],
            set_={
                "version": statement.excluded.version,
                "document": statement.excluded.document,
                "updated_at": func.now(),
            },
            where=catalogue_state.c.version < statement.excluded.version,
        )
    )
