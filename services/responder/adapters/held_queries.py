"""Reads over the designations a responder holds, beyond one designation at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters.tables import designations

_NOT_LIFTED = ("active", "suspended")


async def unlifted_ids(session: AsyncSession, memoranda: Iterable[str]) -> list[uuid.UUID]:
    """Designations of these memoranda whose measures are in force or suspended here."""
    codes = sorted(set(memoranda))
    if not codes:
        return []
    statement = (
        select(designations.c.id)
        .where(designations.c.memorandum_code.in_(codes))
        .where(designations.c.status.in_(_NOT_LIFTED))
        .order_by(designations.c.id)
    )
    return list((await session.scalars(statement)).all())
