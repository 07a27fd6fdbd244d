"""Designations a catalogue revision may owe to more departments."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import designations

_NOT_LIFTED = ("active", "suspended")


async def scheduled_unlifted(
    session: AsyncSession, memorandum_code: str
) -> list[tuple[uuid.UUID, str]]:
    """(id, list type) of this memorandum's designations whose obligations were recorded and
    whose measures are in force or suspended."""
    d = designations.c
    statement = (
        select(d.id, d.list_type)
        .where(d.memorandum_code == memorandum_code)
        .where(d.status.in_(_NOT_LIFTED))
        .where(d.obligations_version.is_not(None))
        .order_by(d.id)
    )
    return [(row.id, row.list_type) for row in (await session.execute(statement)).all()]
