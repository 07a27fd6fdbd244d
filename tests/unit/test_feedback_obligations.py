"""Who owes a response to a designation and by when, on the official calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.feedback.domain.obligations import (
    Reach,
    is_overdue,
    obligations_for,
    response_deadline,
    workdays_after,
)
from shared.catalogue import Catalogue
from shared.workdays import WorkdayCalendar
from tests.support.events import seed_document

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _catalogue(**department_changes: dict[str, object]) -> Catalogue:
    document = seed_document()
    for department in document["departments"]:
        department.update(department_changes.get(department["code"], {}))
    return Catalogue.from_document(document, 1)


def test_owing_departments_include_the_general_memorandum_and_only_active_ones() -> None:
    document = seed_document()
    general = {
        department
        for measure in document["measures"]
        if measure["memorandum"] in ("serious_dishonesty_general", "government_procurement")
        for department in measure["implementing_departments"]
    }
    owed = obligations_for(_catalogue(), "government_procurement")
    assert owed is not None
    assert {o.department_code for o in owed} == general
    inactive = obligations_for(_catalogue(commerce={"active": False}), "government_procurement")
    assert inactive is not None
    assert {o.department_code for o in inactive} == general - {"commerce"}


def test_the_smallest_deadline_of_a_departments_measures_counts() -> None:
    document = seed_document()
    owed = {o.department_code: o for o in obligations_for(_catalogue(), "tax_credit_a") or []}
    memoranda = {"tax_credit_a", "honest_exemplars"}
    for code, obligation in owed.items():
        days = [
            m["response_deadline_workdays"]
            for m in document["measures"]
            if m["memorandum"] in memoranda and code in m["implementing_departments"]
        ]
        assert obligation.deadline_workdays == min(days)
        assert len(obligation.measure_codes) == len(days)
    assert owed["justice"].deadline_workdays == 7


def test_an_unknown_memorandum_waits_for_a_newer_catalogue() -> None:
    assert obligations_for(_catalogue(), "not_yet_published") is None


def test_deadline_across_national_day_is_due_at_the_end_of_the_day() -> None:
    calendar = WorkdayCalendar()
    reached = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    deadline = response_deadline(reached, 5, calendar)
    # 10-01..10-08 are holidays; Saturday 10-11 is an adjusted working day.
    assert deadline.due_date == date(2025, 10, 14)
    assert deadline.overdue_from == datetime(2025, 10, 15, tzinfo=SHANGHAI)
    assert not deadline.provisional
    just_before = datetime(2025, 10, 14, 23, 59, 59, tzinfo=SHANGHAI)
    just_after = datetime(2025, 10, 15, 0, 0, 1, tzinfo=SHANGHAI)
    assert not is_overdue(deadline.overdue_from, None, just_before)
    assert is_overdue(deadline.overdue_from, None, just_after)
    assert not is_overdue(deadline.overdue_from, just_after, just_after)


def test_the_day_counts_in_shanghai_not_utc() -> None:
    calendar = WorkdayCalendar()
    # 2025-09-30 17:00 UTC is 2025-10-01 01:00 in Shanghai: the first holiday.
    reached = datetime(2025, 9, 30, 17, 0, tzinfo=UTC)
    assert response_deadline(reached, 1, calendar).due_date == date(2025, 10, 9)


def test_years_the_calendar_does_not_cover_give_provisional_deadlines() -> None:
    reached = datetime(2031, 3, 3, 9, 0, tzinfo=SHANGHAI)
    deadline = response_deadline(reached, 5, WorkdayCalendar())
    assert deadline.provisional
    assert deadline.due_date == date(2031, 3, 10)


def test_reach_prefers_the_initiated_event() -> None:
    republished = datetime(2025, 5, 2, tzinfo=UTC)
    initiated = datetime(2025, 5, 1, tzinfo=UTC)
    reach = Reach.first(republished, initiated=False)
    assert reach.reached_at == republished
    later = reach.seen(initiated, initiated=True)
    assert later.reached_at == initiated
    assert later.seen(republished, initiated=False) == later


def test_working_days_overdue_are_counted_in_one_pass() -> None:
    calendar = WorkdayCalendar()
    starts = [date(2025, 9, 30), date(2025, 10, 14), date(2025, 10, 20), date(2025, 10, 30)]
    counted = workdays_after(starts, date(2025, 10, 20), calendar)
    assert counted == {
        start: calendar.workdays_between(start, date(2025, 10, 20)) for start in starts
    }
    assert counted[date(2025, 9, 30)] == 9  # 10-09, 10-10, 10-11 (调休), 10-13..10-17, 10-20
    assert counted[date(2025, 10, 30)] == 0
