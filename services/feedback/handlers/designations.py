"""Designation events: keep the latest version, and who owes a response to it.

A batch's designation events are checked as they come and applied together just before its
transaction commits (`MessageContext.before_commit`): their designations are locked and loaded
at once, each event is decided against the designation as the batch has it so far (in the
database or earlier in the batch), and then the new designations, the changed ones and the
expected responses of all of them are written with a few statements per batch instead of eight
or nine per event. The rows are those of applying the events one by one in their order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import designation_records, expectation_records
from services.feedback.adapters.expectation_records import Owed, Scheduled
from services.feedback.domain.obligations import (
    Obligation,
    Reach,
    as_aware,
    deadlines_for,
    local_date,
    obligations_for,
)
from services.feedback.handlers.dependencies import HandlerDependencies
from services.feedback.handlers.obligations import move_deadlines
from shared.catalogue import Catalogue
from shared.delivery.consumer import MessageContext, PermanentError, gathered_for_commit
from shared.events.designations import DesignationEventType, DesignationState
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope

_KNOWN = {event_type.value for event_type in DesignationEventType}
_PENDING = "feedback_pending_designations"


@dataclass(frozen=True)
class _Event:
    state: DesignationState
    event_type: str
    at: datetime

    @property
    def initiated(self) -> bool:
        return self.event_type == DesignationEventType.initiated


def parse_designation(envelope: Envelope) -> _Event:
    event_type = envelope.type.removeprefix(EVENT_TYPE_PREFIX)
    if event_type not in _KNOWN:
        raise PermanentError(f"feedback does not read {envelope.type}")
    try:
        state = DesignationState.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"invalid designation state: {error}") from error
    return _Event(state, event_type, as_aware(envelope.time))


def apply_designation(
    envelope: Envelope, context: MessageContext, deps: HandlerDependencies
) -> None:
    """Check the event and gather it; the batch's events are applied before it commits."""
    event = parse_designation(envelope)
    session = context.session

    async def flush(events: list[_Event]) -> None:
        await apply_designations(session, events, deps)

    gathered_for_commit(context, _PENDING, flush).append(event)


@dataclass
class _Designation:
    """A designation as the batch has it so far."""

    version: int
    list_type: str
    memorandum_code: str
    reach: Reach
    scheduled: bool
    stored: Row[tuple[object, ...]] | None
    """its row before the batch, None when the batch brings it"""
    state: DesignationState | None = None
    """the newer state to write, None while the row's is the latest"""
    schedule: tuple[str, str] | None = None
    """(list type, memorandum) its obligations are scheduled with in this batch"""


class _Obligations:
    """Who owes a response to designations of a memorandum reached on a given day, computed
    once per batch: a batch's designations mostly share both (and then share one `Owed`, which
    lets `insert_obligations_many` write them together)."""

    def __init__(self, catalogue: Catalogue, deps: HandlerDependencies) -> None:
        self.catalogue = catalogue
        self.calendar = deps.calendar
        self._owing: dict[str, list[Obligation] | None] = {}
        self._owed: dict[tuple[str, date], Owed] = {}

    def owing(self, memorandum_code: str) -> list[Obligation] | None:
        if memorandum_code not in self._owing:
            self._owing[memorandum_code] = obligations_for(self.catalogue, memorandum_code)
        return self._owing[memorandum_code]

    def owed(self, memorandum_code: str, reached_at: datetime) -> Owed:
        key = (memorandum_code, local_date(reached_at))
        found = self._owed.get(key)
        if found is None:
            found = self._owed[key] = deadlines_for(
                self.owing(memorandum_code) or (), reached_at, self.calendar
            )
        return found


async def apply_designations(
    session: AsyncSession, events: list[_Event], deps: HandlerDependencies
) -> None:
    await designation_records.lock_designations(session, [event.state.id for event in events])
    await designation_records.record_versions(
        session, [(event.state, event.event_type, event.at) for event in events]
    )
    stored = await designation_records.load_many(session, [event.state.id for event in events])
    batch: dict[uuid.UUID, _Designation] = {}
    new: dict[uuid.UUID, DesignationState] = {}
    catalogue = await deps.catalogues.current(session)
    obligations = _Obligations(catalogue, deps) if catalogue is not None else None
    for event in events:
        state = event.state
        held = batch.get(state.id)
        if held is None and (row := stored.get(state.id)) is not None:
            held = batch[state.id] = _held(row)
        if held is None:
            held = batch[state.id] = _Designation(
                state.version,
                state.list_type,
                state.memorandum_code,
                Reach.first(event.at, event.initiated),
                scheduled=False,
                stored=None,
            )
            new[state.id] = state
        else:
            if state.version > held.version:
                held.version, held.state = state.version, state
                held.list_type, held.memorandum_code = state.list_type, state.memorandum_code
                if held.stored is None:
                    new[state.id] = state
            held.reach = held.reach.seen(event.at, event.initiated)
        if (
            not held.scheduled
            and obligations is not None
            and obligations.owing(held.memorandum_code) is not None
        ):
            held.scheduled = True
            held.schedule = (held.list_type, held.memorandum_code)
    obligations_version = catalogue.version if catalogue is not None else None
    await designation_records.insert_many(
        session,
        [
            (state, batch[id_].reach, obligations_version if batch[id_].scheduled else None)
            for id_, state in new.items()
        ],
    )
    for id_, held in batch.items():
        if held.stored is not None:
            await _update(session, id_, held, obligations_version, deps)
    if obligations is not None:
        await expectation_records.insert_obligations_many(
            session,
            [
                _scheduled(id_, held, obligations)
                for id_, held in batch.items()
                if held.schedule is not None
            ],
        )


def _held(row: Row[tuple[object, ...]]) -> _Designation:
    values = row._mapping
    return _Designation(
        values["version"],
        values["list_type"],
        values["memorandum_code"],
        Reach(values["initiated_at"], values["first_seen_at"]),
        scheduled=values["obligations_version"] is not None,
        stored=row,
    )


def _scheduled(id_: uuid.UUID, held: _Designation, obligations: _Obligations) -> Scheduled:
    assert held.schedule is not None
    list_type, memorandum_code = held.schedule
    reached_at = held.reach.reached_at
    return Scheduled(
        id_, list_type, memorandum_code, reached_at, obligations.owed(memorandum_code, reached_at)
    )


async def _update(
    session: AsyncSession,
    designation_id: uuid.UUID,
    held: _Designation,
    obligations_version: int | None,
    deps: HandlerDependencies,
) -> None:
    """Write what the batch changed of a designation held before it (later versions, lifecycle
    events: one designation per event, as before)."""
    assert held.stored is not None
    values = held.stored._mapping
    if held.state is not None:
        await designation_records.update_state(session, held.state)
    before = Reach(values["initiated_at"], values["first_seen_at"])
    if held.reach != before:
        await designation_records.update_reach(session, designation_id, held.reach)
        if values["obligations_version"] is not None and held.reach.reached_at != before.reached_at:
            await move_deadlines(session, designation_id, held.reach.reached_at, deps.calendar)
    if held.schedule is not None and obligations_version is not None:
        await designation_records.set_obligations_version(
            session, designation_id, obligations_version
        )
