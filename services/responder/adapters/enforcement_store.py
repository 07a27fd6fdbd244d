"""Enforcement recordings in the responder database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters.tables import enforcements
from services.responder.domain.enforcement import EnforcementCommand, EnforcementRecord


@dataclass(frozen=True)
class EnforcementFilter:
    designation_id: uuid.UUID | None = None
    measure_code: str | None = None
    business_system: str | None = None
    subject_id: str | None = None


def _record(row: Any) -> EnforcementRecord:
    return EnforcementRecord(
        id=row.id,
        command=EnforcementCommand(
            business_system=row.business_system,
            case_id=row.case_id,
            measure_code=row.measure_code,
            subject_id=row.subject_id,
            designation_id=row.designation_id,
            outcome=row.outcome,
            reason=row.reason,
            scenario=row.scenario,
            result=row.result,
            amount=float(row.amount) if row.amount is not None else None,
            occurred_at=row.occurred_at,
            district=row.district,
        ),
        designation_version=row.designation_version,
        target_kind=row.target_kind,
        target_role=row.target_role,
        recorded_at=row.recorded_at,
        fingerprint=row.fingerprint,
    )


async def find(session: AsyncSession, command: EnforcementCommand) -> EnforcementRecord | None:
    row = (
        await session.execute(
            select(enforcements).where(
                enforcements.c.business_system == command.business_system,
                enforcements.c.case_id == command.case_id,
                enforcements.c.measure_code == command.measure_code,
                enforcements.c.subject_id == command.subject_id,
            )
        )
    ).one_or_none()
    return _record(row) if row is not None else None


async def insert_new(session: AsyncSession, record: EnforcementRecord) -> bool:
    """Insert unless the same key is already recorded; True when inserted."""
    command = record.command
    result = await session.execute(
        insert(enforcements)
        .values(
            id=record.id,
            business_system=command.business_system,
            case_id=command.case_id,
            measure_code=command.measure_code,
            subject_id=command.subject_id,
            designation_id=command.designation_id,
            designation_version=record.designation_version,
            target_kind=record.target_kind,
            target_role=record.target_role,
            scenario=command.scenario,
            outcome=command.outcome,
            reason=command.reason,
            result=command.result,
            amount=command.amount,
            occurred_at=command.occurred_at,
            district=command.district,
            fingerprint=record.fingerprint,
            recorded_at=record.recorded_at,
        )
        .on_conflict_do_nothing()
        .returning(enforcements.c.id)
    )
    return result.first() is not None


async def page(
    session: AsyncSession, where: EnforcementFilter, limit: int, offset: int
) -> list[EnforcementRecord]:
    query = select(enforcements)
    if where.designation_id is not None:
        query = query.where(enforcements.c.designation_id == where.designation_id)
    if where.measure_code is not None:
        query = query.where(enforcements.c.measure_code == where.measure_code)
    if where.business_system is not None:
        query = query.where(enforcements.c.business_system == where.business_system)
    if where.subject_id is not None:
        query = query.where(enforcements.c.subject_id == where.subject_id)
    query = query.order_by(enforcements.c.recorded_at.desc(), enforcements.c.id)
    rows = await session.execute(query.limit(limit).offset(offset))
    return [_record(row) for row in rows]
