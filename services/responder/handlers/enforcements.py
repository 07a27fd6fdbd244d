"""Recording an enforcement and sending its receipt in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.responder.adapters import designation_store, enforcement_store, receipt_outbox
from services.responder.adapters.enforcement_store import EnforcementFilter
from services.responder.domain import clock
from services.responder.domain.enforcement import (
    EnforcementCommand,
    EnforcementRecord,
    accepted_target,
    enforcement_receipt,
)
from services.responder.metrics import ENFORCEMENTS
from services.responder.state import ResponderState
from shared.audit.appending import append
from shared.audit.entries import Act, Actor
from shared.persistence.unit_of_work import UnitOfWork


class CatalogueNotHeld(RuntimeError):
    """No catalogue yet: measures cannot be validated."""


class EnforcementConflict(Exception):
    """The key is recorded with a different body."""

    def __init__(self, existing: EnforcementRecord) -> None:
        super().__init__("a different enforcement is already recorded under this key")
        self.existing = existing


@dataclass(frozen=True)
class Recorded:
    record: EnforcementRecord
    created: bool


def _replayed(
    existing: EnforcementRecord, command: EnforcementCommand, department: str
) -> Recorded:
    if existing.fingerprint != command.fingerprint():
        ENFORCEMENTS.labels(department, "conflict").inc()
        raise EnforcementConflict(existing)
    ENFORCEMENTS.labels(department, "replayed").inc()
    return Recorded(existing, created=False)


async def record_enforcement(
    sessions: async_sessionmaker[AsyncSession],
    state: ResponderState,
    command: EnforcementCommand,
    actor: Actor,
) -> Recorded:
    department = state.department
    async with UnitOfWork(sessions) as uow:
        existing = await enforcement_store.find(uow.session, command)
        if existing is not None:
            return _replayed(existing, command, department)
        catalogue = state.catalogue
        if catalogue is None:
            raise CatalogueNotHeld("the catalogue is not loaded yet")
        held = await designation_store.load(uow.session, command.designation_id)
        now = clock.now()
        try:
            target = accepted_target(command, department, catalogue, held, now)
        except Exception:
            ENFORCEMENTS.labels(department, "rejected").inc()
            raise
        assert held is not None
        record = EnforcementRecord(
            id=command.enforcement_id(department),
            command=command,
            designation_version=held.version,
            target_kind=target.kind,
            target_role=target.role,
            recorded_at=now,
            fingerprint=command.fingerprint(),
        )
        if not await enforcement_store.insert_new(uow.session, record):
            await uow.rollback()
            existing = await enforcement_store.find(uow.session, command)
            assert existing is not None
            return _replayed(existing, command, department)
        await receipt_outbox.send(
            uow.session, state.settings, [enforcement_receipt(record, department, held)]
        )
        act = Act(actor, "enforcement.recorded", str(record.id), record.answer(department))
        await append(uow.session, [act])
        await uow.commit()
    ENFORCEMENTS.labels(department, "recorded").inc()
    return Recorded(record, created=True)


async def list_enforcements(
    sessions: async_sessionmaker[AsyncSession],
    where: EnforcementFilter,
    limit: int,
    offset: int,
) -> list[EnforcementRecord]:
    async with UnitOfWork(sessions) as uow:
        return await enforcement_store.page(uow.session, where, limit, offset)
