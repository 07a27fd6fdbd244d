"""Working days on the official Chinese calendar (public holidays and 调休 weekends).

Years covered by `chinese_calendar` use its data. For other years an operator file
`<calendar_dir>/YYYY.json` ({"holidays": [...], "workdays": [...]}, ISO dates) is
used when present; otherwise Monday-Friday are counted and results are provisional.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import chinese_calendar

CALENDAR_DIR_ENV = "JOINTCREDIT_CALENDAR_DIR"


class CalendarFileError(ValueError):
    """An operator calendar file is malformed."""


@dataclass(frozen=True)
class Deadline:
    due: date
    provisional: bool


class DayStatus(NamedTuple):
    workday: bool
    provisional: bool


@dataclass(frozen=True)
class _YearRules:
    holidays: frozenset[date]
    workdays: frozenset[date]
    provisional: bool

    def status(self, day: date) -> DayStatus:
        workday = day in self.workdays or (day.weekday() < 5 and day not in self.holidays)
        return DayStatus(workday, self.provisional)


_PROVISIONAL = _YearRules(frozenset(), frozenset(), provisional=True)


def _library_rules(year: int) -> _YearRules | None:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    start = date(year, 1, 1)
    days = [start + timedelta(i) for i in range((date(year + 1, 1, 1) - start).days)]
    flags = {d: bool(chinese_calendar.is_workday(d)) for d in days}
    return _YearRules(
        holidays=frozenset(d for d in days if d.weekday() < 5 and not flags[d]),
        workdays=frozenset(d for d in days if d.weekday() >= 5 and flags[d]),
        provisional=False,
    )


def _parse_dates(path: Path, data: dict[str, object], key: str, year: int) -> frozenset[date]:
    values = data.get(key, [])
    if not isinstance(values, list):
        raise CalendarFileError(f"{path}: {key!r} must be a list of YYYY-MM-DD dates")
    try:
        days = frozenset(date.fromisoformat(str(v)) for v in values)
    except ValueError as exc:
        raise CalendarFileError(f"{path}: {key!r}: {exc}") from None
    stray = sorted(d.isoformat() for d in days if d.year != year)
    if stray:
        raise CalendarFileError(f"{path}: {key!r} has dates outside {year}: {stray}")
    return days


def _file_rules(path: Path, year: int) -> _YearRules:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarFileError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise CalendarFileError(f"{path}: expected a JSON object")
    holidays = _parse_dates(path, data, "holidays", year)
    workdays = _parse_dates(path, data, "workdays", year)
    if holidays & workdays:
        raise CalendarFileError(f"{path}: dates both holiday and workday")
    return _YearRules(holidays, workdays, provisional=False)


class WorkdayCalendar:
    """Official working days, cached per year."""

    def __init__(self, calendar_dir: Path | None = None) -> None:
        self._calendar_dir = calendar_dir
        self._years: dict[int, _YearRules] = {}

    def _rules(self, year: int) -> _YearRules:
        if year not in self._years:
            self._years[year] = self._load(year)
        return self._years[year]

    def _load(self, year: int) -> _YearRules:
        rules = _library_rules(year)
        if rules is not None:
            return rules
        if self._calendar_dir is not None:
            path = self._calendar_dir / f"{year}.json"
            if path.is_file():
                return _file_rules(path, year)
        return _PROVISIONAL

    def is_workday(self, day: date) -> DayStatus:
        """Whether `day` is a working day, and whether that answer is provisional."""
        return self._rules(day.year).status(day)

    def add_workdays(self, start: date, n: int) -> Deadline:
        """The n-th working day after `start` (start itself not counted; n=0 gives start)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day, provisional = start, False
        while n:
            day += timedelta(days=1)
            status = self.is_workday(day)
            provisional = provisional or status.provisional
            if status.workday:
                n -= 1
        return Deadline(day, provisional)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b` (0 when b <= a)."""
        return sum(self.is_workday(a + timedelta(i)).workday for i in range(1, (b - a).days + 1))

    def is_late(self, decided: date, published: date, n: int = 7) -> bool:
        """Whether `published` falls after the n-th working day after `decided`."""
        return published > self.add_workdays(decided, n).due


@functools.cache
def default_calendar() -> WorkdayCalendar:
    """The process-wide calendar, reading JOINTCREDIT_CALENDAR_DIR on first use."""
    configured = os.environ.get(CALENDAR_DIR_ENV)
    return WorkdayCalendar(Path(configured) if configured else None)
