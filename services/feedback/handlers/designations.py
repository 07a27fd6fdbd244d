"""Designation events: keep the latest version, and who owes a response to it."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters import designation_records
from services.feedback.domain.obligations import Reach, as_aware
from services.feedback.handlers.dependencies import HandlerDependencies
from services.feedback.handlers.obligations import move_deadlines, schedule_obligations
from shared.delivery.consumer import PermanentError
from shared.events.designations import DesignationEventType, DesignationState
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope

_KNOWN = {event_type.value for event_type in DesignationEventType}


async def apply_designation(
    envelope: Envelope, session: AsyncSession, deps: HandlerDependencies
) -> None:
    event_type = envelope.type.removeprefix(EVENT_TYPE_PREFIX)
    if event_type not in _KNOWN:
        raise PermanentError(f"feedback does not read {envelope.type}")
    try:
        state = DesignationState.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"invalid designation state: {error}") from error
    at = as_aware(envelope.time)
    initiated = event_type == DesignationEventType.initiated
    await designation_records.lock_designation(session, state.id)
    await designation_records.record_version(session, state, event_type, at)
    held = await designation_records.load(session, state.id)
    if held is None:
        reach = Reach.first(at, initiated)
        await designation_records.insert(session, state, reach)
        list_type, memorandum_code, scheduled = state.list_type, state.memorandum_code, False
    else:
        if state.version > held.version:
            await designation_records.update_state(session, state)
            list_type, memorandum_code = state.list_type, state.memorandum_code
        else:
            list_type, memorandum_code = held.list_type, held.memorandum_code
        before = Reach(held.initiated_at, held.first_seen_at)
        reach = before.seen(at, initiated)
        scheduled = held.obligations_version is not None
        if reach != before:
            await designation_records.update_reach(session, state.id, reach)
            if scheduled and reach.reached_at != before.reached_at:
                await move_deadlines(session, state.id, reach.reached_at, deps.calendar)
    if not scheduled:
        catalogue = await deps.catalogues.current(session)
        if catalogue is not None:
            await schedule_obligations(
                session,
                state.id,
                list_type,
                memorandum_code,
                reach.reached_at,
                catalogue,
                deps.calendar,
            )
