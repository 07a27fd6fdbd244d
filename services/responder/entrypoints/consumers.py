"""The responder's background workers: the catalogue consumer, then the designation consumer.

Designations are applied only once a catalogue is held: the designation consumer starts after
the catalogue is loaded (from the database, the registry, or the first catalogue events), so
no event is failed for want of it. Both consumers share their work with the department's other
replicas through a consumer group; the check index is not theirs to feed (index_follower.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from services.responder.adapters import catalogue_store, index_feed
from services.responder.adapters.registry_client import CatalogueUnavailable, fetch_catalogue
from services.responder.handlers.catalogue import handle_catalogue_event
from services.responder.handlers.designations import handle_designation_event
from services.responder.state import ResponderState
from shared.catalogue import Catalogue
from shared.delivery.consumer import ConsumerLoop, MessageContext
from shared.events.envelope import Envelope
from shared.persistence.unit_of_work import UnitOfWork
from shared.runtime import Runtime
from shared.topics import Topic

log = logging.getLogger(__name__)


@dataclass
class ResponderWorkers:
    runtime: Runtime
    state: ResponderState

    async def fetch(self) -> Catalogue:
        return await fetch_catalogue(self.state.settings)

    async def _catalogue_at_start(self) -> None:
        """The catalogue stored, else the registry's; without either, the events bring it."""
        if self.state.catalogue is not None:
            return
        async with UnitOfWork(self.runtime.sessions) as uow:
            catalogue = await catalogue_store.load(uow.session)
            if catalogue is None:
                try:
                    catalogue = await self.fetch()
                except CatalogueUnavailable:
                    log.info("no catalogue held; waiting for catalogue events")
                    return
                await catalogue_store.save(uow.session, catalogue)
                await index_feed.record_change(uow.session, (), catalogue.version)
                await uow.commit()
        self.state.hold_catalogue(catalogue)

    async def _on_catalogue(self, envelope: Envelope, context: MessageContext) -> None:
        await handle_catalogue_event(envelope, context, self.state, self.fetch)

    async def _on_designation(self, envelope: Envelope, context: MessageContext) -> None:
        await handle_designation_event(envelope, context, self.state, self.fetch)

    async def catalogue(self, stop: asyncio.Event) -> None:
        settings = self.state.settings
        await self._catalogue_at_start()
        loop = ConsumerLoop(
            settings.catalogue_group,
            [settings.topic(Topic.CATALOGUE)],
            self._on_catalogue,
            self.runtime.sessions,
            settings,
        )
        await loop.run(stop)

    async def designations(self, stop: asyncio.Event) -> None:
        settings = self.state.settings
        held = asyncio.ensure_future(self.state.catalogue_held.wait())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([held, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            held.cancel()
            stopped.cancel()
        if stop.is_set():
            return
        loop = ConsumerLoop(
            settings.designations_group,
            [settings.topic(Topic.DESIGNATIONS)],
            self._on_designation,
            self.runtime.sessions,
            settings,
        )
        await loop.run(stop)
