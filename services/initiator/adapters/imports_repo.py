"""SQL for bulk imports: the import record, its progress counters and its per-row report."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters.designations_repo import column_arrays, unnest_insert
from services.initiator.adapters.tables import import_report, imports

I = imports.c  # noqa: E741
P = import_report.c


async def create(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(imports.insert().values(**values))


async def get(session: AsyncSession, import_id: uuid.UUID) -> Row[Any] | None:
    return (await session.execute(select(imports).where(I.id == import_id))).first()


async def listing(
    session: AsyncSession, department: str | None, limit: int, offset: int
) -> list[Row[Any]]:
    statement = select(imports).order_by(I.started_at.desc()).limit(limit).offset(offset)
    if department is not None:
        statement = statement.where(I.department == department)
    return list(await session.execute(statement))


_REPORT_COLUMNS = (
    ("import_id", "uuid"),
    ("row", "int"),
    ("outcome", "text"),
    ("designation_id", "uuid"),
    ("column", "text"),
    ("message", "text"),
)
_INSERT_REPORT = unnest_insert("import_report", _REPORT_COLUMNS)


async def add_report(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        await session.execute(_INSERT_REPORT, column_arrays(_REPORT_COLUMNS, entries))


async def progress(
    session: AsyncSession,
    import_id: uuid.UUID,
    *,
    rows_read: int,
    created: int,
    duplicates: int,
    errors: int,
    **values: Any,
) -> None:
    await session.execute(
        update(imports)
        .where(I.id == import_id)
        .values(
            rows_read=I.rows_read + rows_read,
            created=I.created + created,
            duplicates=I.duplicates + duplicates,
            errors=I.errors + errors,
            heartbeat_at=func.now(),
            **values,
        )
    )


async def finish(
    session: AsyncSession, import_id: uuid.UUID, state: str, failure: str | None
) -> None:
    await session.execute(
        update(imports)
        .where(I.id == import_id)
        .values(state=state, failure=failure, finished_at=func.now(), heartbeat_at=func.now())
    )


async def report(
    session: AsyncSession, import_id: uuid.UUID, outcome: str | None, limit: int, offset: int
) -> list[Row[Any]]:
    statement = (
        select(P.row, P.outcome, P.designation_id, P.column, P.message)
        .where(P.import_id == import_id)
        .order_by(P.position)
        .limit(limit)
        .offset(offset)
    )
    if outcome is not None:
        statement = statement.where(P.outcome == outcome)
    return list(await session.execute(statement))
