"""Publication (公示): when it is due, whether it was late, and what the public may see.

Due 7 working days after the decision on the official calendar (seeds 000 §17, 001 §二(五)2(1),
004 §三2: 在作出行政决定之日起7个工作日内 … 向社会公示). A designation is published the moment it is
recorded (it appears in the public list at once), so `published_at` is its creation time.
Persons' names and ID numbers are masked; an organisation's name and credit code are public.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from services.initiator.domain.dates import local_date
from shared.identifiers import mask_person_name, mask_resident_id
from shared.workdays import Deadline, WorkdayCalendar


def due_after(moment: datetime, workdays: int, calendar: WorkdayCalendar) -> Deadline:
    """The `workdays`-th working day after the day of `moment` (Asia/Shanghai)."""
    return calendar.add_workdays(local_date(moment), workdays)


def published_late(published_at: datetime, due: date) -> bool:
    return local_date(published_at) > due


def public_subject(kind: str, subject_id: str, name: str) -> dict[str, str]:
    if kind == "person":
        return {"kind": kind, "id": mask_resident_id(subject_id), "name": mask_person_name(name)}
    return {"kind": kind, "id": subject_id, "name": name}


def public_persons(persons: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "role": str(person["role"]),
            "id": mask_resident_id(str(person["id"])),
            "name": mask_person_name(str(person["name"])),
        }
        for person in persons
    ]
