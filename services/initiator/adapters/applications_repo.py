"""SQL for objections (异议) and credit repair applications (信用修复)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, Table, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters.tables import designations


async def insert(session: AsyncSession, table: Table, values: dict[str, Any]) -> Row[Any]:
    result = await session.execute(table.insert().values(**values).returning(table))
    row: Row[Any] = result.one()
    return row


async def get(
    session: AsyncSession, table: Table, application_id: uuid.UUID, *, for_update: bool = False
) -> Row[Any] | None:
    statement = select(table).where(table.c.id == application_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def pending_for(
    session: AsyncSession, table: Table, designation_id: uuid.UUID
) -> Row[Any] | None:
    statement = select(table).where(
        and_(table.c.designation_id == designation_id, table.c.status == "pending")
    )
    return (await session.execute(statement)).first()


async def decide(
    session: AsyncSession, table: Table, application_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any]:
    result = await session.execute(
        update(table).where(table.c.id == application_id).values(**values).returning(table)
    )
    row: Row[Any] = result.one()
    return row


def listing(
    table: Table,
    *,
    department: str | None,
    designation_id: uuid.UUID | None,
    status: str | None,
    overdue_on: date | None = None,
) -> Select[Any]:
    """Applications, newest first; `department` limits them to that department's designations."""
    statement = select(table)
    if department is not None:
        statement = statement.join(designations, designations.c.id == table.c.designation_id).where(
            designations.c.initiating_department == department
        )
    if designation_id is not None:
        statement = statement.where(table.c.designation_id == designation_id)
    if status is not None:
        statement = statement.where(table.c.status == status)
    if overdue_on is not None:
        statement = statement.where(
            and_(table.c.status == "pending", table.c.answer_due < overdue_on)
        )
    return statement.order_by(table.c.filed_at.desc(), table.c.id)
