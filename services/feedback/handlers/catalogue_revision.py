"""A catalogue revision owes designations already recorded to more departments (or measures).

Obligations are recorded when a designation first meets a catalogue that knows its memorandum.
When a later version names a department (or a measure) for a memorandum that the earlier one
did not — a department activated, a measure added — the designations of that memorandum still in
force or suspended owe it too, from the moment the revision reached feedback: the deadline
counts from then. Obligations recorded before stay as they were (a department that no longer
owes had owed when the designation reached it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import expectation_records, revision_queries
from services.feedback.adapters.expectation_records import Scheduled
from services.feedback.domain.obligations import deadlines_for, obligations_for
from shared.catalogue import Catalogue
from shared.workdays import WorkdayCalendar


async def owe_revised(
    session: AsyncSession,
    earlier: Catalogue,
    catalogue: Catalogue,
    calendar: WorkdayCalendar,
    reached_at: datetime,
) -> int:
    """Record the obligations `catalogue` adds to `earlier`'s; returns the designations owed
    more."""
    owed_more = 0
    for memorandum_code in sorted(catalogue.memoranda):
        now = obligations_for(catalogue, memorandum_code) or []
        before = set(obligations_for(earlier, memorandum_code) or [])
        added = [obligation for obligation in now if obligation not in before]
        if not added:
            continue
        designations = await revision_queries.scheduled_unlifted(session, memorandum_code)
        if not designations:
            continue
        owed = deadlines_for(added, reached_at, calendar)
        await expectation_records.insert_obligations_many(
            session,
            [
                Scheduled(designation_id, list_type, memorandum_code, reached_at, owed)
                for designation_id, list_type in designations
            ],
        )
        owed_more += len(designations)
    return owed_more
