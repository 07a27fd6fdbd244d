"""The designation state machine: every allowed transition, and every other one refused."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from services.initiator.domain.lifecycle import (
    EVENT_TYPES,
    EXIT_STATUSES,
    Action,
    InvalidChange,
    InvalidTransition,
    allowed_actions,
    due_to_expire,
    transition,
)
from shared.events.designations import DesignationEventType, DesignationState, DesignationStatus
from tests.support.events import designation_state

pytestmark = pytest.mark.unit

S = DesignationStatus

# (from, action, objection decision?) → to
ALLOWED = {
    (S.active, Action.suspend, False): S.suspended,
    (S.suspended, Action.resume, True): S.active,
    (S.suspended, Action.correct, True): S.corrected,
    (S.suspended, Action.revoke, True): S.revoked,
    (S.active, Action.revoke, False): S.revoked,
    (S.active, Action.repair, False): S.repaired,
    (S.active, Action.extend, False): S.active,
    (S.active, Action.expire, False): S.expired,
}


def _state(status: S, list_type: str = "black", version: int = 3) -> DesignationState:
    return DesignationState.model_validate(
        designation_state(
            status=status.value,
            version=version,
            list_type=list_type,
            period_end=date(2027, 6, 30),
        )
    )


@pytest.mark.parametrize(("start", "action", "decision"), list(ALLOWED))
def test_every_allowed_transition(start: S, action: Action, decision: bool) -> None:
    before = _state(start)
    after = transition(before, action, period_end=date(2028, 1, 1), objection_decision=decision)
    assert after.status is ALLOWED[(start, action, decision)]
    assert after.version == before.version + 1
    assert after.id == before.id
    assert after.subject == before.subject
    expected_end = date(2028, 1, 1) if action is Action.extend else before.period_end
    assert after.period_end == expected_end


INVALID = [
    (status, action, decision)
    for status, action, decision in itertools.product(S, Action, (False, True))
    if (status, action, decision) not in ALLOWED
]


@pytest.mark.parametrize(("start", "action", "decision"), INVALID)
def test_every_other_transition_is_refused(start: S, action: Action, decision: bool) -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(_state(start), action, period_end=date(2028, 1, 1), objection_decision=decision)
    assert refused.value.current is start
    assert refused.value.action is action
    assert start.value in refused.value.detail


def test_the_message_names_status_action_and_what_is_allowed() -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(_state(S.revoked), Action.suspend)
    assert refused.value.detail == (
        "the designation is revoked; it cannot be suspended (allowed actions: none: it is final)"
    )
    with pytest.raises(InvalidTransition) as refused:
        transition(_state(S.suspended), Action.revoke)
    assert "until the initiating department decides that objection" in refused.value.detail


def test_repair_is_for_black_lists_only() -> None:
    with pytest.raises(InvalidTransition, match="black-list designations only"):
        transition(_state(S.active, list_type="red"), Action.repair)


def test_an_extension_must_move_the_end_later() -> None:
    state = _state(S.active)
    for bad in (date(2027, 6, 30), date(2027, 1, 1), None):
        with pytest.raises(InvalidChange) as refused:
            transition(state, Action.extend, period_end=bad)
        assert refused.value.field == "period_end"
    endless = state.model_copy(update={"period_end": None})
    with pytest.raises(InvalidChange, match="no period end"):
        transition(endless, Action.extend, period_end=date(2030, 1, 1))


def test_final_statuses_allow_nothing_and_are_the_exits() -> None:
    assert {s for s in S if not allowed_actions(s)} == set(EXIT_STATUSES)
    assert set(allowed_actions(S.suspended)) == {Action.resume, Action.correct, Action.revoke}


def test_each_action_has_its_event_type() -> None:
    assert {EVENT_TYPES[a] for a in Action} == set(DesignationEventType) - {
        DesignationEventType.republished
    }


def test_expiry_is_due_only_after_the_last_day_of_an_active_designation() -> None:
    end = date(2026, 3, 31)
    assert not due_to_expire(S.active, end, date(2026, 3, 31))
    assert due_to_expire(S.active, end, date(2026, 4, 1))
    assert not due_to_expire(S.suspended, end, date(2026, 4, 1))
    assert not due_to_expire(S.active, None, date(2099, 1, 1))
