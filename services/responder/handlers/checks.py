"""Answering checks (应查必查) from the in-memory index: no SQL, nothing written."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from services.responder.domain import clock
from services.responder.domain.subjects import parse_subject_id
from services.responder.metrics import CHECKS
from services.responder.state import ResponderState
from shared.identifiers import IdentifierError


class CheckClock:
    """One request's time: the UTC instant and the Asia/Shanghai day it falls on."""

    __slots__ = ("as_of", "checked_at", "today")

    def __init__(self) -> None:
        moment: datetime = clock.now()
        day = clock.shanghai_date(moment)
        self.checked_at = moment.isoformat()
        self.as_of = day.isoformat()
        self.today = day.toordinal()


@cache
def _counted(department: str, result: str) -> Any:
    """The metric's child for one label pair, looked up once (checks are the hot path)."""
    return CHECKS.labels(department, result)


def check_subject(
    state: ResponderState, subject_id: str, scenario: str | None, when: CheckClock
) -> dict[str, Any]:
    """The answer for one valid id; IdentifierError for an invalid one."""
    department = state.department
    try:
        normalised, kind = parse_subject_id(subject_id)
    except IdentifierError:
        _counted(department, "invalid").inc()
        raise
    measures = state.index.in_force(normalised, when.today, scenario)
    _counted(department, "in_force" if measures else "none").inc()
    return {
        "subject_id": normalised,
        "subject_kind": kind,
        "department_code": department,
        "checked_at": when.checked_at,
        "as_of": when.as_of,
        "scenario": scenario,
        "in_force": bool(measures),
        "measures": measures,
        "index": state.freshness.answer,
    }


def check_batch(
    state: ResponderState, subject_ids: list[str], scenario: str | None
) -> dict[str, Any]:
    when = CheckClock()
    results = []
    for requested in subject_ids:
        try:
            answer = check_subject(state, requested, scenario, when)
        except IdentifierError as error:
            results.append(
                {
                    "requested_id": requested,
                    "valid": False,
                    "error": error.reason,
                    "subject_id": None,
                    "subject_kind": None,
                    "in_force": False,
                    "measures": [],
                }
            )
            continue
        results.append(
            {
                "requested_id": requested,
                "valid": True,
                "error": None,
                "subject_id": answer["subject_id"],
                "subject_kind": answer["subject_kind"],
                "in_force": answer["in_force"],
                "measures": answer["measures"],
            }
        )
    return {
        "department_code": state.department,
        "checked_at": when.checked_at,
        "as_of": when.as_of,
        "scenario": scenario,
        "count": len(results),
        "in_force_count": sum(1 for r in results if r["in_force"]),
        "results": results,
        "index": state.freshness.answer,
    }
