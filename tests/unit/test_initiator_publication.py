"""Publication (公示): due 7 working days after the decision on the official calendar; masking."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.initiator.domain.publication import (
    due_after,
    public_persons,
    public_subject,
    published_late,
)
from shared.workdays import Deadline, WorkdayCalendar

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEVEN = 7  # seeds 000 §17, 001 §二(五)2(1), 004 §三2: 7个工作日


def _due(moment: datetime) -> Deadline:
    return due_after(moment, SEVEN, WorkdayCalendar())


def test_national_day_2025_counts_from_the_shanghai_day() -> None:
    # 17:00 UTC on 29 Sep is already 30 Sep in Shanghai: Oct 1-8 are holidays, Sat 11 Oct works.
    assert _due(datetime(2025, 9, 29, 17, 0, tzinfo=UTC)) == Deadline(date(2025, 10, 16), False)
    # Read in UTC it would have been 15 Oct.
    assert _due(datetime(2025, 9, 29, 12, 0, tzinfo=UTC)) == Deadline(date(2025, 10, 15), False)


def test_spring_festival_2026_with_its_two_working_saturdays() -> None:
    # Fri 13 Feb: Sat 14 works, 15-23 rest, 24-27 work, Sat 28 works, then Mon 2 Mar.
    decided = datetime(2026, 2, 13, 9, 30, tzinfo=SHANGHAI)
    assert _due(decided) == Deadline(date(2026, 3, 2), False)


def test_an_adjusted_working_sunday_before_mid_autumn_2026() -> None:
    # Fri 18 Sep: Sun 20 works (调休), Fri 25 Sep is the Mid-Autumn holiday.
    assert _due(datetime(2026, 9, 18, 15, 0, tzinfo=SHANGHAI)) == Deadline(date(2026, 9, 29), False)


def test_national_day_2026() -> None:
    # Oct 1-7 rest, Sat 10 Oct works.
    assert _due(datetime(2026, 9, 30, 8, 0, tzinfo=SHANGHAI)) == Deadline(date(2026, 10, 15), False)


def test_a_naive_decision_time_is_shanghai_time() -> None:
    assert _due(datetime(2026, 4, 30, 23, 0)) == Deadline(date(2026, 5, 13), False)


def test_a_due_date_in_an_uncovered_year_is_provisional() -> None:
    due = _due(datetime(2026, 12, 24, 10, 0, tzinfo=SHANGHAI))
    assert due == Deadline(date(2027, 1, 4), True)


def test_late_is_judged_on_the_shanghai_day() -> None:
    due = date(2025, 10, 16)
    assert not published_late(datetime(2025, 10, 16, 15, 59, tzinfo=UTC), due)
    assert published_late(datetime(2025, 10, 16, 16, 0, tzinfo=UTC), due)
    assert not published_late(datetime(2025, 9, 30, tzinfo=SHANGHAI), due)


def test_persons_are_masked_and_organisations_are_not() -> None:
    assert public_subject("person", "11010519491231002X", "张三丰") == {
        "kind": "person",
        "id": "110105********002X",
        "name": "张**",
    }
    assert public_subject("organisation", "91350100M000100Y43", "某某科技有限公司") == {
        "kind": "organisation",
        "id": "91350100M000100Y43",
        "name": "某某科技有限公司",
    }
    persons = [{"role": "legal_representative", "id": "110105194912310037", "name": "李四"}]
    assert public_persons(persons) == [
        {"role": "legal_representative", "id": "110105********0037", "name": "李*"}
    ]
