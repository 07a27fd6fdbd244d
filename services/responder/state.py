"""What a running responder holds in memory: the catalogue, the check index and its freshness."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.responder.adapters.check_counts import CheckCounts
from services.responder.domain.check_index import CheckIndex
from services.responder.settings import ResponderSettings
from shared.catalogue import Catalogue


@dataclass
class IndexFreshness:
    """How far this replica's index has followed the change feed (index_feed.py).

    `answer` is what every check answer carries under `index`, built once per change rather
    than per check: the last change applied, when it was committed, and when this replica last
    confirmed that it holds every change committed (the bound of its staleness).
    """

    sequence: int = 0
    changed_at: datetime | None = None
    caught_up_at: datetime | None = None
    loads: int = 0
    """snapshots loaded: one at start, one more each time the replica fell behind the feed"""
    answer: dict[str, Any] = field(
        default_factory=lambda: {"sequence": 0, "changed_at": None, "caught_up_at": None}
    )

    def loaded(self, sequence: int) -> None:
        self.loads += 1
        self.applied(sequence, None)

    def applied(self, sequence: int, changed_at: datetime | None) -> None:
        self.sequence, self.changed_at = sequence, changed_at
        self._publish()

    def confirmed(self, at: datetime) -> None:
        self.caught_up_at = at
        self._publish()

    def _publish(self) -> None:
        self.answer = {
            "sequence": self.sequence,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
            "caught_up_at": self.caught_up_at.isoformat() if self.caught_up_at else None,
        }


@dataclass
class ResponderState:
    settings: ResponderSettings
    index: CheckIndex = field(default_factory=CheckIndex)
    catalogue: Catalogue | None = None
    catalogue_held: asyncio.Event = field(default_factory=asyncio.Event)
    scenarios: frozenset[str] = frozenset()
    freshness: IndexFreshness = field(default_factory=IndexFreshness)
    index_changed: asyncio.Event = field(default_factory=asyncio.Event)
    check_counts: CheckCounts = field(default_factory=CheckCounts)
    """set after this replica commits a change: its follower reads the feed at once"""

    @property
    def department(self) -> str:
        return self.settings.department_code

    @property
    def index_ready(self) -> bool:
        """Loaded and caught up with the feed at least once: checks may be answered."""
        return self.index.loaded and self.freshness.caught_up_at is not None

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
