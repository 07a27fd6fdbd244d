"""What a responder holds about one designation: its latest version and its measure-targets.

The measure-target state is a function of the latest version alone (in force while active,
suspended while suspended, lifted otherwise), so duplicated, reordered and re-published events
converge to the same rows whatever order they arrive in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from shared.catalogue import MeasureOutcome
from shared.events.designations import DesignationState, DesignationStatus


class TargetState(StrEnum):
    in_force = "in_force"
    suspended = "suspended"
    lifted = "lifted"


def target_state(status: DesignationStatus) -> tuple[TargetState, str | None]:
    """The state of every measure-target of a designation in `status`, and the cause."""
    if status is DesignationStatus.active:
        return TargetState.in_force, None
    if status is DesignationStatus.suspended:
        return TargetState.suspended, status.value
    return TargetState.lifted, status.value


@dataclass(frozen=True)
class HeldTarget:
    """One person or organisation this department's measures reach in one designation."""

    kind: str
    id: str
    role: str
    name: str
    measure_codes: tuple[str, ...]
    state: TargetState
    cause: str | None
    set_by_version: int
    notified: bool
    """whether a receipt about this target was sent for `set_by_version`"""

    @property
    def key(self) -> tuple[str, str]:
        return self.role, self.id


@dataclass(frozen=True)
class HeldDesignation:
    id: uuid.UUID
    version: int
    status: DesignationStatus
    list_type: str
    memorandum_code: str
    subject_kind: str
    subject_id: str
    subject_name: str
    period_start: date
    period_end: date | None
    initiating_department: str
    document_number: str
    decided_at: datetime
    event_id: uuid.UUID
    """the designation event that brought this version (the receipts answer it)"""
    event_time: datetime
    recorded_at: datetime
    not_applicable: tuple[tuple[str, str], ...]
    """(measure code, reason) of this department's measures that reach nobody here"""
    targets: tuple[HeldTarget, ...]
    ignored_events: int = 0

    @property
    def active(self) -> bool:
        return self.status is DesignationStatus.active

    def reaches_as(self, other: HeldDesignation) -> bool:
        """Whether both reach the same people with the same measures (and find the same ones
        not applicable): a catalogue revision that changes neither changes nothing here."""
        return {(t.key, t.measure_codes) for t in self.targets} == {
            (t.key, t.measure_codes) for t in other.targets
        } and set(self.not_applicable) == set(other.not_applicable)


def grouped_targets(
    outcomes: list[MeasureOutcome],
) -> dict[tuple[str, str], tuple[str, str, list[str]]]:
    """(role, id) → (kind, name, measure codes) of everyone the outcomes reach."""
    targets: dict[tuple[str, str], tuple[str, str, list[str]]] = {}
    for outcome in outcomes:
        for target in outcome.targets:
            entry = targets.setdefault((target.role, target.id), (target.kind, target.name, []))
            entry[2].append(outcome.measure.code)
    return targets


def held_version(
    state: DesignationState,
    outcomes: list[MeasureOutcome],
    previous: HeldDesignation | None,
    *,
    event_id: uuid.UUID,
    event_time: datetime,
    recorded_at: datetime,
) -> HeldDesignation:
    """What to hold after applying `state`, a version newer than `previous`."""
    new_state, cause = target_state(state.status)
    before = {t.key: t for t in previous.targets} if previous else {}
    targets = []
    for key, (kind, name, codes) in grouped_targets(outcomes).items():
        earlier = before.get(key)
        if new_state is TargetState.in_force:
            notified = True
        else:
            notified = (
                earlier is not None
                and earlier.state in (TargetState.in_force, TargetState.suspended)
                and earlier.state is not new_state
            )
        targets.append(
            HeldTarget(
                kind=kind,
                id=key[1],
                role=key[0],
                name=name,
                measure_codes=tuple(sorted(set(codes))),
                state=new_state,
                cause=cause,
                set_by_version=state.version,
                notified=notified,
            )
        )
    return HeldDesignation(
        id=state.id,
        version=state.version,
        status=state.status,
        list_type=state.list_type,
        memorandum_code=state.memorandum_code,
        subject_kind=state.subject.kind,
        subject_id=state.subject.id,
        subject_name=state.subject.name,
        period_start=state.period_start,
        period_end=state.period_end,
        initiating_department=state.initiating_department,
        document_number=state.document_number,
        decided_at=state.decided_at,
        event_id=event_id,
        event_time=event_time,
        recorded_at=recorded_at,
        not_applicable=tuple(
            (outcome.measure.code, outcome.not_applicable_reason)
            for outcome in outcomes
            if not outcome.applicable
        ),
        targets=tuple(targets),
        ignored_events=previous.ignored_events if previous else 0,
    )
