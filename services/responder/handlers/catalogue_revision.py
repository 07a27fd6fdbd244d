"""Matching held designations again when a catalogue version changes this department's measures.

A responder holds, per designation, the measure-targets its catalogue matched when the version
arrived; it does not keep the responsible persons a measure did not reach, so it cannot match
again alone. It asks the initiator to re-publish instead (`republish.requested.v1`, reason
`catalogue_revised`): the designations it holds of the memoranda whose measures changed here,
by id, and every designation of memoranda it did not answer before (`department_code` with
`memorandum_codes`). The re-published snapshots are matched against the new catalogue; what
changed is answered with receipts, measures no longer implemented here are lifted.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters import held_queries
from services.responder.settings import ResponderSettings
from shared.catalogue import CatalogueRevision
from shared.delivery.outbox import add_events
from shared.events.republish import RepublishRequested, republish_request_event

log = logging.getLogger(__name__)

REQUEST_CHUNK = 500
"""designation ids per re-publish request (one event each)"""


async def ask_to_match_again(
    session: AsyncSession, settings: ResponderSettings, revision: CatalogueRevision
) -> int:
    """Write the re-publish requests `revision` calls for (in the caller's transaction); returns
    how many designations were asked for by id."""
    if not revision.changed:
        return 0
    held = await held_queries.unlifted_ids(session, revision.changed)
    events = [
        republish_request_event(
            settings,
            RepublishRequested(
                request_id=uuid.uuid4(),
                designation_ids=tuple(held[start : start + REQUEST_CHUNK]),
                reason="catalogue_revised",
            ),
        )
        for start in range(0, len(held), REQUEST_CHUNK)
    ]
    if revision.newly_owed:
        events.append(
            republish_request_event(
                settings,
                RepublishRequested(
                    request_id=uuid.uuid4(),
                    department_code=settings.department_code,
                    memorandum_codes=tuple(sorted(revision.newly_owed)),
                    reason="catalogue_revised",
                ),
            )
        )
    await add_events(session, events)
    log.info(
        "catalogue revision: re-publication requested",
        extra={
            "memoranda": sorted(revision.changed),
            "newly_owed": sorted(revision.newly_owed),
            "designations": len(held),
        },
    )
    return len(held)
