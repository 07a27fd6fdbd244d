import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from shared.workdays import (
    CALENDAR_DIR_ENV,
    CalendarFileError,
    DayStatus,
    Deadline,
    WorkdayCalendar,
    default_calendar,
)

pytestmark = pytest.mark.unit


def _write_2027(directory: Path) -> Path:
    path = directory / "2027.json"
    holidays = [f"2027-02-{day:02d}" for day in range(8, 13)]
    path.write_text(json.dumps({"holidays": holidays, "workdays": ["2027-02-06"]}))
    return path


def test_national_day_2025() -> None:
    calendar = WorkdayCalendar()
    assert calendar.add_workdays(date(2025, 9, 30), 7) == Deadline(date(2025, 10, 16), False)
    # Sun 28 Sep and Sat 11 Oct are working days; 1-8 Oct are not.
    assert calendar.add_workdays(date(2025, 9, 26), 7) == Deadline(date(2025, 10, 13), False)
    assert calendar.workdays_between(date(2025, 9, 30), date(2025, 10, 8)) == 0


def test_spring_festival_2026_library_data() -> None:
    window = [date(2026, 2, 13) + timedelta(i) for i in range(16)]
    rest = [d for d in window if not chinese_calendar.is_workday(d)]
    assert rest == [date(2026, 2, 15) + timedelta(i) for i in range(9)]
    assert chinese_calendar.is_workday(date(2026, 2, 14))
    assert chinese_calendar.is_workday(date(2026, 2, 28))


def test_spring_festival_2026_deadline() -> None:
    calendar = WorkdayCalendar()
    # Fri 13, Sat 14 (调休), then 24-27 Feb and Sat 28 (调休).
    assert calendar.add_workdays(date(2026, 2, 12), 7) == Deadline(date(2026, 2, 28), False)


def test_adjusted_working_weekend_counts() -> None:
    calendar = WorkdayCalendar()
    assert calendar.is_workday(date(2025, 9, 28)) == DayStatus(workday=True, provisional=False)
    assert calendar.is_workday(date(2025, 9, 27)) == DayStatus(workday=False, provisional=False)
    assert calendar.workdays_between(date(2025, 9, 26), date(2025, 9, 29)) == 2
    assert calendar.add_workdays(date(2025, 12, 31), 1) == Deadline(date(2026, 1, 4), False)


def test_zero_and_negative_n() -> None:
    calendar = WorkdayCalendar()
    assert calendar.add_workdays(date(2025, 10, 1), 0) == Deadline(date(2025, 10, 1), False)
    with pytest.raises(ValueError, match="n must be"):
        calendar.add_workdays(date(2025, 10, 1), -1)


def test_workdays_between_is_empty_when_reversed() -> None:
    calendar = WorkdayCalendar()
    assert calendar.workdays_between(date(2025, 10, 16), date(2025, 9, 30)) == 0
    assert calendar.workdays_between(date(2025, 10, 16), date(2025, 10, 16)) == 0
    assert calendar.workdays_between(date(2025, 9, 30), date(2025, 10, 16)) == 7


def test_is_late() -> None:
    calendar = WorkdayCalendar()
    assert not calendar.is_late(date(2025, 9, 30), date(2025, 10, 16))
    assert calendar.is_late(date(2025, 9, 30), date(2025, 10, 17))
    assert not calendar.is_late(date(2025, 9, 30), date(2025, 10, 9), n=1)
    assert calendar.is_late(date(2025, 9, 30), date(2025, 10, 10), n=1)


def test_uncovered_year_without_file_is_provisional(tmp_path: Path) -> None:
    for calendar in (WorkdayCalendar(), WorkdayCalendar(tmp_path)):
        assert calendar.add_workdays(date(2027, 3, 5), 7) == Deadline(date(2027, 3, 16), True)
        assert calendar.add_workdays(date(2027, 2, 5), 3) == Deadline(date(2027, 2, 10), True)
        assert calendar.is_workday(date(2027, 2, 6)) == DayStatus(False, True)


def test_deadline_reaching_into_uncovered_year_is_provisional() -> None:
    deadline = WorkdayCalendar().add_workdays(date(2026, 12, 30), 3)
    assert deadline == Deadline(date(2027, 1, 4), True)


def test_uncovered_year_uses_operator_file(tmp_path: Path) -> None:
    path = _write_2027(tmp_path)
    calendar = WorkdayCalendar(tmp_path)
    assert calendar.add_workdays(date(2027, 2, 5), 3) == Deadline(date(2027, 2, 16), False)
    assert calendar.is_workday(date(2027, 2, 6)) == DayStatus(True, False)
    path.unlink()
    assert calendar.is_workday(date(2027, 2, 8)) == DayStatus(False, False)


def test_library_wins_for_covered_years(tmp_path: Path) -> None:
    (tmp_path / "2025.json").write_text(json.dumps({"holidays": ["2025-10-09"]}))
    assert WorkdayCalendar(tmp_path).is_workday(date(2025, 10, 9)) == DayStatus(True, False)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps(["2027-01-01"]),
        json.dumps({"holidays": "2027-01-01"}),
        json.dumps({"holidays": ["2027-13-01"]}),
        json.dumps({"holidays": ["2028-01-03"]}),
        json.dumps({"holidays": ["2027-01-04"], "workdays": ["2027-01-04"]}),
    ],
)
def test_malformed_operator_file_is_reported(tmp_path: Path, content: str) -> None:
    (tmp_path / "2027.json").write_text(content)
    with pytest.raises(CalendarFileError, match=r"2027\.json"):
        WorkdayCalendar(tmp_path).is_workday(date(2027, 1, 4))


def test_default_calendar_reads_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_2027(tmp_path)
    monkeypatch.setenv(CALENDAR_DIR_ENV, str(tmp_path))
    default_calendar.cache_clear()
    try:
        assert default_calendar() is default_calendar()
        assert default_calendar().is_workday(date(2027, 2, 6)) == DayStatus(True, False)
    finally:
        default_calendar.cache_clear()
