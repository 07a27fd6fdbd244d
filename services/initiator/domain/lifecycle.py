"""The designation (认定) lifecycle as a pure state machine.

```
active ──suspend (异议)──► suspended ──resume──► active
                              ├──correct──► corrected (更正)
                              └──revoke───► revoked   (撤销)
active ──revoke──► revoked        active ──repair──► repaired (信用修复, black lists only)
active ──extend──► active (new period end)   active ──expire──► expired (period over)
```
Every change gives the next version of the full state; the caller records it and its event.
A suspended designation moves only by the decision on its objection (谁决定、谁负责).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from shared.events.designations import DesignationEventType, DesignationState, DesignationStatus


class Action(StrEnum):
    initiate = "initiate"
    suspend = "suspend"
    resume = "resume"
    correct = "correct"
    revoke = "revoke"
    repair = "repair"
    extend = "extend"
    expire = "expire"


_S = DesignationStatus
_TARGETS: dict[tuple[DesignationStatus, Action], DesignationStatus] = {
    (_S.active, Action.suspend): _S.suspended,
    (_S.suspended, Action.resume): _S.active,
    (_S.suspended, Action.correct): _S.corrected,
    (_S.suspended, Action.revoke): _S.revoked,
    (_S.active, Action.revoke): _S.revoked,
    (_S.active, Action.repair): _S.repaired,
    (_S.active, Action.extend): _S.active,
    (_S.active, Action.expire): _S.expired,
}

EVENT_TYPES: dict[Action, DesignationEventType] = {
    Action.initiate: DesignationEventType.initiated,
    Action.suspend: DesignationEventType.suspended,
    Action.resume: DesignationEventType.resumed,
    Action.correct: DesignationEventType.corrected,
    Action.revoke: DesignationEventType.revoked,
    Action.repair: DesignationEventType.repaired,
    Action.extend: DesignationEventType.extended,
    Action.expire: DesignationEventType.expired,
}

EXIT_STATUSES = frozenset({_S.revoked, _S.corrected, _S.repaired, _S.expired})
"""Statuses in which the subject has left the list (退出): published among the exits."""

_PAST = {
    Action.initiate: "initiated",
    Action.suspend: "suspended",
    Action.resume: "resumed",
    Action.correct: "corrected",
    Action.revoke: "revoked",
    Action.repair: "repaired",
    Action.extend: "extended",
    Action.expire: "expired",
}


class InvalidTransition(Exception):
    """The action is not allowed in the current status (an HTTP 409)."""

    def __init__(self, current: DesignationStatus, action: Action, reason: str | None = None):
        self.current = current
        self.action = action
        allowed = ", ".join(a.value for a in allowed_actions(current)) or "none: it is final"
        self.detail = reason or (
            f"the designation is {current.value}; it cannot be {_PAST[action]} "
            f"(allowed actions: {allowed})"
        )
        super().__init__(self.detail)


class InvalidChange(ValueError):
    """The action is allowed but its parameters are not (an HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def allowed_actions(status: DesignationStatus) -> list[Action]:
    return [action for (current, action) in _TARGETS if current is status]


def next_status(status: DesignationStatus, action: Action) -> DesignationStatus:
    target = _TARGETS.get((status, action))
    if target is None:
        raise InvalidTransition(status, action)
    return target


def transition(
    state: DesignationState,
    action: Action,
    *,
    period_end: date | None = None,
    objection_decision: bool = False,
) -> DesignationState:
    """The next version of `state` after `action`, or InvalidTransition / InvalidChange.

    `objection_decision` says the action decides the pending objection: only such an action
    moves a suspended designation, and it moves nothing else.
    """
    target = next_status(state.status, action)
    suspended = state.status is _S.suspended
    if suspended and not objection_decision:
        raise InvalidTransition(
            state.status,
            action,
            f"the designation is suspended by an objection; it cannot be {_PAST[action]} "
            "until the initiating department decides that objection",
        )
    if objection_decision and not suspended:
        raise InvalidTransition(state.status, action)
    if action is Action.repair and state.list_type != "black":
        raise InvalidTransition(
            state.status,
            action,
            "credit repair (信用修复) applies to black-list designations only",
        )
    new_end = state.period_end
    if action is Action.extend:
        new_end = _extended_end(state, period_end)
    return state.model_copy(
        update={
            "version": state.version + 1,
            "status": target,
            "period_end": new_end,
            "republish_request_id": None,
        }
    )


def _extended_end(state: DesignationState, period_end: date | None) -> date:
    if period_end is None:
        raise InvalidChange("period_end", "an extension needs the new period_end")
    if state.period_end is None:
        raise InvalidChange("period_end", "the designation has no period end to extend")
    if period_end <= state.period_end:
        raise InvalidChange(
            "period_end",
            f"the new period_end {period_end} must be after the current {state.period_end}",
        )
    return period_end


def due_to_expire(status: DesignationStatus, period_end: date | None, today: date) -> bool:
    """Active and past its last day (period_end is the last day the measures apply)."""
    return status is _S.active and period_end is not None and period_end < today
