"""What the event handlers need besides the event and its transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.feedback.adapters.catalogue_store import CatalogueStore
from shared.catalogue import Catalogue
from shared.workdays import WorkdayCalendar

CatalogueFetcher = Callable[[], Awaitable[Catalogue]]


@dataclass(frozen=True)
class HandlerDependencies:
    catalogues: CatalogueStore
    calendar: WorkdayCalendar
    fetch_catalogue: CatalogueFetcher
