"""What a running responder holds in memory: the catalogue and the check index."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.responder.domain.check_index import CheckIndex
from services.responder.settings import ResponderSettings
from shared.catalogue import Catalogue


@dataclass
class ResponderState:
    settings: ResponderSettings
    index: CheckIndex = field(default_factory=CheckIndex)
    catalogue: Catalogue | None = None
    catalogue_held: asyncio.Event = field(default_factory=asyncio.Event)
    scenarios: frozenset[str] = frozenset()

    @property
    def department(self) -> str:
        return self.settings.department_code

    def hold_catalogue(self, catalogue: Catalogue) -> None:
        """Adopt a newer catalogue (an older or equal one changes nothing)."""
        if self.catalogue is not None and catalogue.version <= self.catalogue.version:
            return
        self.catalogue = catalogue
        self.scenarios = frozenset(
            scenario
            for measure in catalogue.measures.values()
            if self.department in measure.implementing_departments
            for scenario in measure.scenarios
        )
        self.index.bind(catalogue)
        self.catalogue_held.set()

    def adopt_index(self, index: CheckIndex) -> None:
        if self.catalogue is not None:
            index.bind(self.catalogue)
        index.loaded = True
        self.index = index
