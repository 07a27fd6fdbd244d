"""Who owes a response to a designation, and by when (跟踪问效).

A department owes a response when the catalogue names it for a measure the designation's
memorandum triggers (`Catalogue.departments_owing`, general memoranda included) and it is active.
Its deadline counts the smallest `response_deadline_workdays` of those measures, in working days
on the official calendar, from the day the designation reached it; it is due at the end of that
day in Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.catalogue import Catalogue
from shared.workdays import WorkdayCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Obligation:
    """One department's duty to answer one designation, and the measures behind it."""

    department_code: str
    measure_codes: tuple[str, ...]
    deadline_workdays: int


@dataclass(frozen=True)
class ResponseDeadline:
    due_date: date
    overdue_from: datetime
    """The first instant after the due day (midnight Asia/Shanghai): unanswered from then on is overdue."""
    provisional: bool


def obligations_for(catalogue: Catalogue, memorandum_code: str) -> list[Obligation] | None:
    """The owing departments, or None when this catalogue does not know the memorandum yet."""
    if memorandum_code not in catalogue.memoranda:
        return None
    active = {code for code, department in catalogue.departments.items() if department.active}
    owing = catalogue.departments_owing(memorandum_code) & active
    measures: dict[str, list[tuple[str, int]]] = {code: [] for code in owing}
    for measure in catalogue.candidate_measures(memorandum_code):
        for department in measure.implementing_departments:
            if department in measures:
                measures[department].append((measure.code, measure.response_deadline_workdays))
    return [
        Obligation(
            department_code=department,
            measure_codes=tuple(sorted({code for code, _ in found})),
            deadline_workdays=min(days for _, days in found),
        )
        for department, found in sorted(measures.items())
    ]


def local_date(moment: datetime) -> date:
    return as_aware(moment).astimezone(SHANGHAI).date()


def as_aware(moment: datetime) -> datetime:
    """Event times without an offset are read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))


def response_deadline(
    reached_at: datetime, workdays: int, calendar: WorkdayCalendar
) -> ResponseDeadline:
    deadline = calendar.add_workdays(local_date(reached_at), workdays)
    overdue_from = datetime.combine(deadline.due + timedelta(days=1), time(), SHANGHAI)
    return ResponseDeadline(deadline.due, overdue_from, deadline.provisional)


def deadlines_for(
    obligations: Iterable[Obligation], reached_at: datetime, calendar: WorkdayCalendar
) -> tuple[tuple[Obligation, ResponseDeadline], ...]:
    """Each obligation with its deadline, counted from `reached_at`."""
    return tuple(
        (obligation, response_deadline(reached_at, obligation.deadline_workdays, calendar))
        for obligation in obligations
    )


def is_overdue(overdue_from: datetime, answered_at: datetime | None, as_of: datetime) -> bool:
    """Unanswered at `as_of`, and `as_of` is past the end of the due day."""
    unanswered = answered_at is None or answered_at > as_of
    return unanswered and as_of >= overdue_from


@dataclass(frozen=True)
class Reach:
    """When a designation reached the departments: its initiated event's time when seen.

    Without the initiated event (lost with a broker's log, say) the earliest event seen counts.
    """

    initiated_at: datetime | None
    first_seen_at: datetime

    @property
    def reached_at(self) -> datetime:
        return self.initiated_at if self.initiated_at is not None else self.first_seen_at

    @classmethod
    def first(cls, at: datetime, initiated: bool) -> Reach:
        return cls(at if initiated else None, at)

    def seen(self, at: datetime, initiated: bool) -> Reach:
        initiated_at = self.initiated_at
        if initiated and (initiated_at is None or at < initiated_at):
            initiated_at = at
        return Reach(initiated_at, min(self.first_seen_at, at))


def workdays_after(
    starts: Iterable[date], until: date, calendar: WorkdayCalendar
) -> dict[date, int]:
    """For each start day, the working days after it up to and including `until`, in one pass."""
    days = sorted(set(starts))
    result = {day: 0 for day in days if day >= until}
    open_days = [day for day in days if day < until]
    if not open_days:
        return result
    marks = set(open_days)
    running = 0
    at_day = {open_days[0]: 0}
    day = open_days[0]
    while day < until:
        day += timedelta(days=1)
        running += calendar.is_workday(day).workday
        if day in marks:
            at_day[day] = running
    result.update({start: running - at_day[start] for start in open_days})
    return result
