"""Reading catalogue versions and publishing new ones (with their event, in one transaction)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import catalogue_store as store
from services.registry.domain.catalogue import CatalogueState
from services.registry.domain.versions import changes_between, event_key
from shared.audit.appending import append
from shared.audit.entries import Act, Actor
from shared.delivery.outbox import add_event
from shared.events.catalogue import (
    CATALOGUE_VERSION_PUBLISHED,
    CatalogueChange,
    CatalogueVersionPublished,
)
from shared.events.envelope import new_event
from shared.persistence.unit_of_work import UnitOfWork

EVENT_SOURCE = "registry"
SEED = Actor("seed")


@dataclass(frozen=True)
class CatalogueAt:
    version: int
    published_at: datetime
    state: CatalogueState

    def document(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "published_at": self.published_at.isoformat(),
            **self.state.as_document(),
        }


@dataclass(frozen=True)
class Publication:
    """A publication's outcome: a new version, or the current one when nothing changed."""

    version: int
    published_at: datetime
    published: bool
    changes: tuple[CatalogueChange, ...]


class CatalogueReader:
    """Catalogue versions never change once published, so their parsed states are cached."""

    def __init__(self, capacity: int = 16) -> None:
        self._states: OrderedDict[int, CatalogueAt] = OrderedDict()
        self._capacity = capacity

    async def current(self, session: AsyncSession) -> CatalogueAt | None:
        version = await store.latest_version(session)
        return None if version is None else await self.at(session, version)

    async def at(self, session: AsyncSession, version: int) -> CatalogueAt | None:
        cached = self._states.get(version)
        if cached is not None:
            self._states.move_to_end(version)
            return cached
        found = await store.snapshot(session, version)
        if found is None:
            return None
        published_at, document = found
        loaded = CatalogueAt(version, published_at, CatalogueState.from_document(document))
        self._states[version] = loaded
        if len(self._states) > self._capacity:
            self._states.popitem(last=False)
        return loaded


Edit = Callable[[CatalogueState], CatalogueState]
"""Builds the next catalogue from the current one; raises CatalogueInvalid, NotFound or
Conflict when the change cannot be made."""


async def publish(
    uow: UnitOfWork,
    reader: CatalogueReader,
    topic: str,
    edit: Edit,
    *,
    by: Actor,
    note: str = "",
    now: datetime | None = None,
    dry_run: bool = False,
) -> Publication:
    """Apply `edit` to the latest version under the catalogue lock and write the result as the
    next version with its event, unless nothing changed. The caller commits."""
    now = now or datetime.now(UTC)
    session = uow.session
    await store.lock_catalogue(session)
    current = await reader.current(session)
    before = current.state if current else CatalogueState()
    after = edit(before)
    changes = changes_between(before, after)
    if dry_run or not changes:
        version = current.version if current else 0
        published_at = current.published_at if current else now
        return Publication(version, published_at, False, changes)
    version = (current.version if current else 0) + 1
    await _store_version(session, version, after, changes, by.actor, note, now, topic)
    recorded = [c.model_dump(mode="json", exclude_none=True) for c in changes]
    act = Act(by, "catalogue.version_published", str(version), {"note": note, "changes": recorded})
    await append(session, [act])
    return Publication(version, now, True, changes)


async def _store_version(
    session: AsyncSession,
    version: int,
    state: CatalogueState,
    changes: tuple[CatalogueChange, ...],
    published_by: str,
    note: str,
    now: datetime,
    topic: str,
) -> None:
    payload = CatalogueVersionPublished(version=version, published_at=now, changes=changes)
    key = event_key(changes)
    await store.insert_version(
        session,
        version=version,
        published_at=now,
        published_by=published_by,
        note=note,
        event_key=key,
        changes=[c.model_dump(mode="json", exclude_none=True) for c in changes],
        snapshot_document=state.as_document(),
    )
    data = payload.model_dump(mode="json", exclude_none=True)
    await add_event(
        session,
        topic,
        key,
        new_event(CATALOGUE_VERSION_PUBLISHED, EVENT_SOURCE, data, str(version)),
    )


async def seed(
    uow: UnitOfWork,
    reader: CatalogueReader,
    topic: str,
    document: dict[str, Any],
    *,
    now: datetime | None = None,
) -> tuple[int, bool]:
    """Publish `document` as version 1 unless a catalogue exists: (version, loaded now).
    Commits."""
    state = CatalogueState.from_document(document)
    await store.lock_catalogue(uow.session)
    existing = await store.latest_version(uow.session)
    if existing is not None:
        return existing, False
    publication = await publish(
        uow, reader, topic, lambda _: state, by=SEED, note="the seed catalogue", now=now
    )
    await uow.commit()
    return publication.version, publication.published


def stored_changes(row: store.VersionRow) -> tuple[CatalogueChange, ...]:
    return tuple(CatalogueChange.model_validate(c) for c in row.changes)
