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
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.envelope import new_event
from shared.events.republish import REPUBLISH_REQUESTED, RepublishRequested
from shared.topics import Topic

log = logging.getLogger(__name__)

REQUEST_CHUNK = 500
"""designation ids per re-publish request (one event each)"""


def _request(settings: ResponderSettings, request: RepublishRequested, key: str) -> OutgoingEvent:
    envelope = new_event(
        REPUBLISH_REQUESTED,
        settings.service_name,
        request.model_dump(mode="json", exclude_none=True),
        subject=str(request.request_id),
    )
    return OutgoingEvent(settings.topic(Topic.REPUBLISH_REQUESTS), key, envelope)


async def ask_to_match_again(
    session: AsyncSession, settings: ResponderSettings, revision: CatalogueRevision
) -> int:
    """Write the re-publish requests `revision` calls for (in the caller's transaction); returns
    how many designations were asked for by id."""
    if not revision.changed:
        return 0
    held = await held_queries.unlifted_ids(session, revision.changed)
    events = [
        _request(
            settings,
            RepublishRequested(
                request_id=uuid.uuid4(),
                designation_ids=tuple(held[start : start + REQUEST_CHUNK]),
                reason="catalogue_revised",
            ),
            str(held[start]),
        )
        for start in range(0, len(held), REQUEST_CHUNK)
    ]
    if revision.newly_owed:
        department = settings.department_code
        events.append(
            _request(
                settings,
                RepublishRequested(
                    request_id=uuid.uuid4(),
                    department_code=department,
                    memorandum_codes=tuple(sorted(revision.newly_owed)),
                    reason="catalogue_revised",
                ),
                department,
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
