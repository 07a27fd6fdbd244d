"""What the initiator's handlers depend on, wired once in `bootstrap()`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime

from services.initiator.adapters.catalogue_store import CatalogueCache
from services.initiator.domain.dates import local_date
from services.initiator.settings import InitiatorSettings
from shared.persistence.unit_of_work import UnitOfWork
from shared.runtime import Runtime
from shared.workdays import Deadline, WorkdayCalendar, default_calendar


@dataclass
class InitiatorContext:
    runtime: Runtime
    settings: InitiatorSettings
    catalogue: CatalogueCache = field(default_factory=CatalogueCache)
    calendar: WorkdayCalendar = field(default_factory=default_calendar)
    republish_wake: asyncio.Event = field(default_factory=asyncio.Event)
    _publication_dues: dict[date, Deadline] = field(default_factory=dict)

    def unit_of_work(self) -> UnitOfWork:
        return self.runtime.unit_of_work()

    def publication_due(self, decided_at: datetime) -> Deadline:
        """When publication (公示) of a decision is due; remembered per day (imports repeat days)."""
        day = local_date(decided_at)
        due = self._publication_dues.get(day)
        if due is None:
            due = self.calendar.add_workdays(day, self.settings.publication_workdays)
            if len(self._publication_dues) > 10_000:
                self._publication_dues.clear()
            self._publication_dues[day] = due
        return due
