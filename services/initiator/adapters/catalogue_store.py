"""The catalogue copy the initiator holds: every version it stored, the latest one in memory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters.tables import catalogue_versions
from shared.catalogue import Catalogue


async def held_version(session: AsyncSession) -> int | None:
    result = await session.execute(select(func.max(catalogue_versions.c.version)))
    version = result.scalar_one_or_none()
    return int(version) if version is not None else None


async def load(session: AsyncSession, version: int) -> dict[str, Any] | None:
    result = await session.execute(
        select(catalogue_versions.c.document).where(catalogue_versions.c.version == version)
    )
    document = result.scalar_one_or_none()
    return dict(document) if document is not None else None


async def store(session: AsyncSession, version: int, document: dict[str, Any]) -> bool:
    """Store a version unless it is already held; True when stored."""
    result = await session.execute(
        insert(catalogue_versions)
        .values(version=version, document={**document, "version": version})
        .on_conflict_do_nothing(index_elements=["version"])
        .returning(catalogue_versions.c.version)
    )
    return result.scalar_one_or_none() is not None


class CatalogueCache:
    """The latest stored version, rebuilt only when a newer one appears in the database."""

    def __init__(self) -> None:
        self._catalogue: Catalogue | None = None

    async def current(self, session: AsyncSession) -> Catalogue | None:
        version = await held_version(session)
        if version is None:
            return None
        if self._catalogue is None or self._catalogue.version != version:
            document = await load(session, version)
            if document is None:
                return self._catalogue
            self._catalogue = Catalogue.from_document(document, version)
        return self._catalogue
