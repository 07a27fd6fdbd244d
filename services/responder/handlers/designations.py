"""Applying designation events: the newest version wins, and this department answers it.

The events of a consumer batch are checked one by one as they come, then applied together just
before the batch's transaction commits (`MessageContext.before_commit`): the outcome is the one
of applying them one by one in their order, with a handful of statements per batch instead of
five or six per event (loading, locking, the upsert, the measure-targets, the receipts).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters import designation_store, index_feed, receipt_outbox
from services.responder.domain import clock
from services.responder.domain.held import HeldDesignation, held_version
from services.responder.domain.receipts import Receipt, lifted_beyond, receipts_for
from services.responder.handlers.catalogue import CatalogueFetcher, adopt, current_catalogue
from services.responder.metrics import DESIGNATION_EVENTS
from services.responder.settings import ResponderSettings
from services.responder.state import ResponderState
from shared.catalogue import Catalogue
from shared.delivery.consumer import MessageContext, PermanentError, gathered_for_commit
from shared.delivery.outbox import OutgoingEvent, add_events, resend_events
from shared.events.designations import DesignationEventType, DesignationState
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope
from shared.tracing import current_traceparent

_MAX_ID_LENGTH = 64
_PENDING = "responder_pending_designations"
_TYPES = {EVENT_TYPE_PREFIX + kind.value: kind for kind in DesignationEventType}


def _parse(envelope: Envelope) -> tuple[DesignationEventType, DesignationState]:
    kind = _TYPES.get(envelope.type)
    if kind is None:
        raise PermanentError(f"not a designation event this responder reads: {envelope.type}")
    try:
        state = DesignationState.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"invalid designation state: {error}") from error
    ids = [state.subject.id, *(person.id for person in state.responsible_persons)]
    if any(not 0 < len(subject_id) <= _MAX_ID_LENGTH for subject_id in ids):
        raise PermanentError("a subject or responsible person id is empty or too long")
    return kind, state


async def _catalogue_knowing(
    context: MessageContext, state: ResponderState, memorandum: str, fetch: CatalogueFetcher
) -> Catalogue:
    """The catalogue held, or the registry's newer one when the memorandum is not in it yet."""
    held = current_catalogue(context.session, state)
    if held is None:
        raise RuntimeError("no catalogue is held yet")
    if memorandum in held.memoranda:
        return held
    fetched = await fetch()
    if memorandum not in fetched.memoranda:
        raise PermanentError(f"memorandum {memorandum!r} is not in the catalogue")
    if fetched.version > held.version:
        await adopt(context.session, state, context, fetched)
    return fetched


def _count(context: MessageContext, department: str, outcome: str) -> None:
    context.after_commit(lambda: DESIGNATION_EVENTS.labels(department, outcome).inc())


@dataclass(frozen=True)
class _Event:
    kind: DesignationEventType
    designation: DesignationState
    envelope: Envelope
    catalogue: Catalogue
    traceparent: str | None
    """the trace the consumer set for this event: its receipts carry it"""


async def handle_designation_event(
    envelope: Envelope, context: MessageContext, state: ResponderState, fetch: CatalogueFetcher
) -> None:
    """Check the event and gather it; the batch's events are applied before it commits.

    What cannot be decided without the event alone (unknown type, invalid payload, a memorandum
    nobody knows) fails here, as before; the rest waits for `_apply_batch`.
    """
    kind, designation = _parse(envelope)
    catalogue = await _catalogue_knowing(context, state, designation.memorandum_code, fetch)

    async def flush(events: list[_Event]) -> None:
        await _apply_batch(context, state, events)

    event = _Event(kind, designation, envelope, catalogue, current_traceparent())
    gathered_for_commit(context, _PENDING, flush).append(event)


class _OutboxWrites:
    """Receipts to send or re-send, in the order the events asked, each in the trace of its
    event: consecutive ones of the same kind go in one statement."""

    def __init__(self, settings: ResponderSettings) -> None:
        self.settings = settings
        self.runs: list[tuple[bool, list[OutgoingEvent]]] = []

    def add(
        self,
        held: HeldDesignation,
        receipts: list[Receipt],
        traceparent: str | None,
        *,
        resend: bool,
    ) -> None:
        """`receipts` about `held`: keyed by its subject, as its designation events are, so that
        feedback's replica owning the one owns the other (co-partitioned topics)."""
        events = receipt_outbox.outgoing(
            self.settings, receipts, traceparent, subjects={held.id: held.subject_id}
        )
        if self.runs and self.runs[-1][0] == resend:
            self.runs[-1][1].extend(events)
        else:
            self.runs.append((resend, events))

    async def write(self, session: AsyncSession) -> None:
        for resend, events in self.runs:
            if resend:
                await resend_events(session, events)
            else:
                await add_events(session, events)


async def _apply_batch(
    context: MessageContext, state: ResponderState, events: list[_Event]
) -> None:
    """Apply the batch's designation events in their order, as if one by one, with a few
    statements in all: the designations held are loaded (and locked) at once, each event is
    decided against the version held so far (in the database or earlier in the batch), and the
    final versions, the ignored-event counts and the receipts are written at the end."""
    department = state.department
    session = context.session
    held_before = await designation_store.load_many(
        session, {event.designation.id for event in events}
    )
    current: dict[uuid.UUID, HeldDesignation] = dict(held_before)
    changed: dict[uuid.UUID, HeldDesignation] = {}
    ignored: dict[uuid.UUID, int] = {}
    reindexed: set[str] = set()
    outbox = _OutboxWrites(state.settings)
    for event in events:
        designation, catalogue = event.designation, event.catalogue
        previous = current.get(designation.id)
        if previous is None and department not in catalogue.departments_owing(
            designation.memorandum_code
        ):
            _count(context, department, "not_owed")
            continue
        if previous is not None and designation.version <= previous.version:
            republished = event.kind is DesignationEventType.republished
            if republished and designation.version == previous.version:
                held = _matched(department, event, previous)
                if held.reaches_as(previous):
                    outbox.add(
                        previous, receipts_for(department, previous), event.traceparent, resend=True
                    )
                    _count(context, department, "resent")
                    continue
                # The catalogue changed what this version reaches (catalogue_revision.py): the
                # receipts still true keep their ids, so re-sending them is harmless.
                current[designation.id] = changed[designation.id] = held
                lifted = lifted_beyond(department, previous, held, cause="catalogue_revised")
                outbox.add(
                    held, receipts_for(department, held) + lifted, event.traceparent, resend=True
                )
                reindexed.update(_subjects_of(previous, held))
                _count(context, department, "rematched")
                continue
            ignored[designation.id] = ignored.get(designation.id, 0) + 1
            _count(context, department, "stale")
            continue
        held = _matched(department, event, previous)
        current[designation.id] = changed[designation.id] = held
        receipts = receipts_for(department, held) + lifted_beyond(department, previous, held)
        outbox.add(held, receipts, event.traceparent, resend=False)
        reindexed.update(_subjects_of(previous, held))
        _count(context, department, "applied")
    await designation_store.save_many(
        session, list(changed.values()), replacing=held_before.keys() & changed.keys()
    )
    await designation_store.count_ignored_many(session, ignored)
    await outbox.write(session)
    if reindexed:
        await index_feed.record_change(session, reindexed)
        context.after_commit(state.index_changed.set)


def _matched(department: str, event: _Event, previous: HeldDesignation | None) -> HeldDesignation:
    """What to hold for the event's version, matched against the catalogue of the event."""
    designation = event.designation
    return held_version(
        designation,
        event.catalogue.measures_for(
            department,
            designation.memorandum_code,
            designation.subject,
            designation.responsible_persons,
        ),
        previous,
        event_id=event.envelope.id,
        event_time=event.envelope.time,
        recorded_at=clock.now(),
    )


def _subjects_of(previous: HeldDesignation | None, held: HeldDesignation) -> set[str]:
    """The subjects whose check-index entries a new version may change: every target of the
    version held before and of the new one (the index follower re-reads them all)."""
    before = previous.targets if previous is not None else ()
    return {target.id for target in (*before, *held.targets)}
