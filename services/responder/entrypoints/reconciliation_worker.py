"""The responder's digest rounds (shared/reconciliation): designations of the memoranda this
department owes whose events never reached it are asked for again.

What is owed comes from the catalogue in the database and what is held from the designations
table, never from a replica's memory, so any replica of the department can lead a round.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters import catalogue_store
from services.responder.settings import ResponderSettings
from shared.reconciliation.rounds import Scope, ScopeReader
from shared.reconciliation.worker import digest_worker
from shared.runtime import Runtime, Worker


def department_scope(department: str) -> ScopeReader:
    async def scope(session: AsyncSession) -> Scope | None:
        """The memoranda whose designations the department holds (the designation handler's
        rule: it owes some of their measures); None before a catalogue is held."""
        catalogue = await catalogue_store.load(session)
        if catalogue is None:
            return None
        owed = tuple(
            sorted(
                code
                for code in catalogue.memoranda
                if department in catalogue.departments_owing(code)
            )
        )
        return Scope(f"responder:{department}", owed)

    return scope


def digest_reconciliation_worker(runtime: Runtime, settings: ResponderSettings) -> Worker:
    return digest_worker(runtime, department_scope(settings.department_code))
