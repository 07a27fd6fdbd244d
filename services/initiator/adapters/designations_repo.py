"""SQL for designations and their history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Row, TextClause, and_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters.tables import designation_history, designations
from shared.events.designations import DesignationState

D = designations.c


def state_from_row(row: Mapping[Any, Any]) -> DesignationState:
    return DesignationState.model_validate(
        {
            "id": row["id"],
            "version": row["version"],
            "status": row["status"],
            "list_type": row["list_type"],
            "memorandum_code": row["memorandum_code"],
            "subject": {
                "kind": row["subject_kind"],
                "id": row["subject_id"],
                "name": row["subject_name"],
            },
            "responsible_persons": row["responsible_persons"],
            "reason": row["reason"],
            "legal_basis": row["legal_basis"],
            "document_number": row["document_number"],
            "decided_at": row["decided_at"],
            "period_start": row["period_start"],
            "period_end": row["period_end"],
            "initiating_department": row["initiating_department"],
        }
    )


_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "uuid"),
    ("version", "int"),
    ("status", "text"),
    ("list_type", "text"),
    ("memorandum_code", "text"),
    ("subject_kind", "text"),
    ("subject_id", "text"),
    ("subject_name", "text"),
    ("responsible_persons", "jsonb"),
    ("reason", "text"),
    ("legal_basis", "text"),
    ("document_number", "text"),
    ("evidence", "jsonb"),
    ("decided_at", "timestamptz"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("initiating_department", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("exited_at", "timestamptz"),
    ("publication_due", "date"),
    ("publication_due_provisional", "boolean"),
    ("publication_late", "boolean"),
    ("import_id", "uuid"),
)
_HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("designation_id", "uuid"),
    ("version", "int"),
    ("action", "text"),
    ("status", "text"),
    ("period_end", "date"),
    ("event_id", "uuid"),
    ("event_type", "text"),
    ("at", "timestamptz"),
    ("actor_kind", "text"),
    ("actor_department", "text"),
    ("actor_client", "text"),
    ("note", "text"),
)


def unnest_insert(table: str, columns: Sequence[tuple[str, str]], suffix: str = "") -> TextClause:
    """`INSERT … SELECT FROM unnest(arrays)`: one statement and one parameter per column.

    Much cheaper than a row-by-row executemany for batches; JSON columns travel as text.
    """
    arrays = ", ".join(
        f"CAST(:{name} AS {'text' if kind == 'jsonb' else kind}[])" for name, kind in columns
    )
    selected = ", ".join(
        f"CAST(u.{name} AS jsonb)" if kind == "jsonb" else f"u.{name}" for name, kind in columns
    )
    names = ", ".join(f'"{name}"' for name, _ in columns)
    return text(
        f"INSERT INTO {table} ({names}) SELECT {selected} "
        f"FROM unnest({arrays}) AS u({names}) {suffix}"
    )


def column_arrays(
    columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    arrays: dict[str, list[Any]] = {}
    for name, kind in columns:
        values = [row[name] for row in rows]
        if kind == "jsonb":
            values = [orjson.dumps(value).decode() for value in values]
        arrays[name] = values
    return arrays


_INSERT_NEW = unnest_insert(
    "designations",
    _COLUMNS,
    "ON CONFLICT ON CONSTRAINT uq_designations_department_document_subject DO NOTHING RETURNING id",
)
_INSERT_HISTORY = unnest_insert("designation_history", _HISTORY_COLUMNS)


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert designations; those whose (department, 文号, subject) exists are skipped.

    Returns the ids actually inserted.
    """
    if not rows:
        return set()
    result = await session.execute(_INSERT_NEW, column_arrays(_COLUMNS, rows))
    return {row[0] for row in result}


async def ids_by_natural_key(
    session: AsyncSession, keys: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], uuid.UUID]:
    if not keys:
        return {}
    result = await session.execute(
        select(D.initiating_department, D.document_number, D.subject_id, D.id).where(
            tuple_(D.initiating_department, D.document_number, D.subject_id).in_(list(set(keys)))
        )
    )
    return {(r[0], r[1], r[2]): r[3] for r in result}


async def get(
    session: AsyncSession, designation_id: uuid.UUID, *, for_update: bool = False
) -> Row[Any] | None:
    statement = select(designations).where(D.id == designation_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def save_change(
    session: AsyncSession, state: DesignationState, at: datetime, exited: bool
) -> None:
    values: dict[str, Any] = {
        "version": state.version,
        "status": state.status.value,
        "period_end": state.period_end,
        "updated_at": at,
    }
    if exited:
        values["exited_at"] = at
    await session.execute(update(designations).where(D.id == state.id).values(**values))


async def add_history(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(_INSERT_HISTORY, column_arrays(_HISTORY_COLUMNS, rows))


async def history(session: AsyncSession, designation_id: uuid.UUID) -> list[Row[Any]]:
    H = designation_history.c
    result = await session.execute(
        select(designation_history).where(H.designation_id == designation_id).order_by(H.version)
    )
    return list(result)


async def lock_due_to_expire(session: AsyncSession, today: date, limit: int) -> list[Row[Any]]:
    """Active designations past their last day, locked; rows another worker holds are skipped."""
    result = await session.execute(
        select(designations)
        .where(and_(D.status == "active", D.period_end < today))
        .order_by(D.period_end)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(result)
