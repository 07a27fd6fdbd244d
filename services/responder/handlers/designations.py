"""Applying designation events: the newest version wins, and this department answers it."""

from __future__ import annotations

from pydantic import ValidationError

from services.responder.adapters import designation_store, receipt_outbox
from services.responder.domain import clock
from services.responder.domain.check_index import records_for
from services.responder.domain.held import HeldDesignation, held_version
from services.responder.domain.receipts import lifted_beyond, receipts_for
from services.responder.handlers.catalogue import CatalogueFetcher, adopt, current_catalogue
from services.responder.metrics import DESIGNATION_EVENTS
from services.responder.state import ResponderState
from shared.catalogue import Catalogue
from shared.delivery.consumer import MessageContext, PermanentError
from shared.events.designations import DesignationEventType, DesignationState
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope

_MAX_ID_LENGTH = 64
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


async def handle_designation_event(
    envelope: Envelope, context: MessageContext, state: ResponderState, fetch: CatalogueFetcher
) -> None:
    kind, designation = _parse(envelope)
    department = state.department
    settings = state.settings
    session = context.session
    catalogue = await _catalogue_knowing(context, state, designation.memorandum_code, fetch)
    previous = await designation_store.load(session, designation.id, for_update=True)
    if previous is None and department not in catalogue.departments_owing(
        designation.memorandum_code
    ):
        _count(context, department, "not_owed")
        return
    if previous is not None and designation.version <= previous.version:
        if kind is DesignationEventType.republished and designation.version == previous.version:
            await receipt_outbox.resend(session, settings, receipts_for(department, previous))
            _count(context, department, "resent")
            return
        await designation_store.count_ignored(session, designation.id)
        _count(context, department, "stale")
        return
    held = held_version(
        designation,
        catalogue.measures_for(
            department,
            designation.memorandum_code,
            designation.subject,
            designation.responsible_persons,
        ),
        previous,
        event_id=envelope.id,
        event_time=envelope.time,
        recorded_at=clock.now(),
    )
    await designation_store.save(session, held, replaces=previous)
    receipts = receipts_for(department, held) + lifted_beyond(department, previous, held)
    await receipt_outbox.send(session, settings, receipts)
    _reindex_after_commit(context, state, previous, held)
    _count(context, department, "applied")


def _reindex_after_commit(
    context: MessageContext,
    state: ResponderState,
    previous: HeldDesignation | None,
    held: HeldDesignation,
) -> None:
    old_subjects = [target.id for target in previous.targets] if previous else []

    def reindex() -> None:
        index = state.index
        index.replace(held.id, old_subjects, records_for(index, held))

    context.after_commit(reindex)
