"""SQL for catalogue versions and memorandum drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters.tables import catalogue_versions, memorandum_drafts

_CATALOGUE_LOCK = 7_314_001
"""Advisory lock serialising catalogue publications: version N+1 is built on N."""


@dataclass(frozen=True)
class VersionRow:
    version: int
    published_at: datetime
    published_by: str
    note: str
    event_key: str
    changes: list[dict[str, Any]]


@dataclass(frozen=True)
class DraftRow:
    code: str
    base_version: int | None
    base: dict[str, Any] | None
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str


async def lock_catalogue(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CATALOGUE_LOCK})


async def latest_version(session: AsyncSession) -> int | None:
    value = await session.scalar(select(func.max(catalogue_versions.c.version)))
    return int(value) if value is not None else None


async def snapshot(session: AsyncSession, version: int) -> tuple[datetime, dict[str, Any]] | None:
    row = (
        await session.execute(
            select(catalogue_versions.c.published_at, catalogue_versions.c.snapshot).where(
                catalogue_versions.c.version == version
            )
        )
    ).first()
    return (row.published_at, row.snapshot) if row is not None else None


_VERSION_COLUMNS = (
    catalogue_versions.c.version,
    catalogue_versions.c.published_at,
    catalogue_versions.c.published_by,
    catalogue_versions.c.note,
    catalogue_versions.c.event_key,
    catalogue_versions.c.changes,
)


async def version_rows(
    session: AsyncSession, *, limit: int | None = None, offset: int = 0, newest_first: bool = True
) -> tuple[list[VersionRow], int]:
    order = catalogue_versions.c.version.desc() if newest_first else catalogue_versions.c.version
    query = select(*_VERSION_COLUMNS).order_by(order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = (await session.execute(query)).all()
    total = await session.scalar(select(func.count()).select_from(catalogue_versions))
    return [VersionRow(**row._mapping) for row in rows], int(total or 0)


async def version_row(session: AsyncSession, version: int) -> VersionRow | None:
    row = (
        await session.execute(
            select(*_VERSION_COLUMNS).where(catalogue_versions.c.version == version)
        )
    ).first()
    return VersionRow(**row._mapping) if row is not None else None


async def insert_version(
    session: AsyncSession,
    *,
    version: int,
    published_at: datetime,
    published_by: str,
    note: str,
    event_key: str,
    changes: list[dict[str, Any]],
    snapshot_document: dict[str, Any],
) -> None:
    await session.execute(
        insert(catalogue_versions).values(
            version=version,
            published_at=published_at,
            published_by=published_by,
            note=note,
            event_key=event_key,
            changes=changes,
            snapshot=snapshot_document,
        )
    )


_DRAFT_COLUMNS = (
    memorandum_drafts.c.code,
    memorandum_drafts.c.base_version,
    memorandum_drafts.c.base,
    memorandum_drafts.c.content,
    memorandum_drafts.c.created_at,
    memorandum_drafts.c.updated_at,
    memorandum_drafts.c.created_by,
)


async def draft(session: AsyncSession, code: str, *, for_update: bool = False) -> DraftRow | None:
    query = select(*_DRAFT_COLUMNS).where(memorandum_drafts.c.code == code)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return DraftRow(**row._mapping) if row is not None else None


async def drafts(session: AsyncSession, limit: int, offset: int) -> tuple[list[DraftRow], int]:
    rows = (
        await session.execute(
            select(*_DRAFT_COLUMNS).order_by(memorandum_drafts.c.code).limit(limit).offset(offset)
        )
    ).all()
    total = await session.scalar(select(func.count()).select_from(memorandum_drafts))
    return [DraftRow(**row._mapping) for row in rows], int(total or 0)


async def insert_draft(
    session: AsyncSession,
    *,
    code: str,
    base_version: int | None,
    base: dict[str, Any] | None,
    content: dict[str, Any],
    created_by: str,
    now: datetime,
) -> bool:
    """False when a draft of this memorandum is already open."""
    statement = (
        pg_insert(memorandum_drafts)
        .values(
            code=code,
            base_version=base_version,
            base=base,
            content=content,
            created_at=now,
            updated_at=now,
            created_by=created_by,
        )
        .on_conflict_do_nothing(index_elements=["code"])
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def update_draft(
    session: AsyncSession, code: str, content: dict[str, Any], now: datetime
) -> None:
    await session.execute(
        update(memorandum_drafts)
        .where(memorandum_drafts.c.code == code)
        .values(content=content, updated_at=now)
    )


async def delete_draft(session: AsyncSession, code: str) -> bool:
    result = await session.execute(
        delete(memorandum_drafts).where(memorandum_drafts.c.code == code)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
