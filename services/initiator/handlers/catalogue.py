"""Following the registry's catalogue: its version events, or its REST API when none is held."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters import catalogue_store
from services.initiator.adapters.registry_client import RegistryUnavailable, fetch_catalogue
from services.initiator.handlers.context import InitiatorContext
from shared.catalogue import Catalogue
from shared.delivery.consumer import MessageContext, PermanentError
from shared.events.catalogue import CatalogueVersionPublished
from shared.events.envelope import Envelope
from shared.persistence.job_rounds import leading_round
from shared.stopping import sleep_unless_stopped

log = logging.getLogger(__name__)

REGISTRY_FOLLOWING_JOB = "initiator.catalogue-from-registry"


async def store_document(session: AsyncSession, document: dict[str, Any]) -> bool:
    """Store a whole catalogue document (`{version, departments, memoranda, measures}`)."""
    version = int(document["version"])
    Catalogue.from_document(document, version)
    return await catalogue_store.store(session, version, document)


async def apply_version(
    context: InitiatorContext, session: AsyncSession, event: CatalogueVersionPublished
) -> None:
    """Apply version N on N-1; older versions are ignored; a gap is filled from the registry."""
    held = await catalogue_store.held_version(session)
    if held is not None and event.version <= held:
        return
    if (held or 0) + 1 == event.version:
        base = Catalogue(0, (), (), ())
        if held is not None:
            document = await catalogue_store.load(session, held)
            assert document is not None
            base = Catalogue.from_document(document, held)
        await catalogue_store.store(session, event.version, base.applied(event).as_document())
        return
    document = await fetch_catalogue(context.settings.registry_url, event.version)
    await store_document(session, document)


async def on_catalogue_version(
    context: InitiatorContext, envelope: Envelope, message: MessageContext
) -> None:
    try:
        event = CatalogueVersionPublished.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"not a catalogue version: {error}") from error
    await apply_version(context, message.session, event)


async def follow_registry(context: InitiatorContext, stop: asyncio.Event) -> None:
    """Fetch `GET REGISTRY_URL/v1/catalogue` while none is held, later now and then for a newer one.

    Of several replicas one asks each round (shared/persistence/job_rounds.py): they share the
    database, and each reads the catalogue from there."""
    settings = context.settings
    while not stop.is_set():
        held = await registry_round(context)
        interval = (
            settings.catalogue_fetch_interval_s
            if held is None
            else settings.catalogue_refresh_interval_s
        )
        await sleep_unless_stopped(stop, interval)


async def registry_round(context: InitiatorContext) -> int | None:
    """The catalogue version held after this round; the replica leading it asks the registry."""
    async with leading_round(context.runtime.engine, REGISTRY_FOLLOWING_JOB) as led:
        return await read_registry(context) if led else await _held_version(context)


async def _held_version(context: InitiatorContext) -> int | None:
    async with context.unit_of_work() as uow:
        return await catalogue_store.held_version(uow.session)


async def read_registry(context: InitiatorContext) -> int | None:
    """Store the registry's current catalogue when it is newer; the version held after."""
    held = await _held_version(context)
    try:
        document = await fetch_catalogue(context.settings.registry_url)
        if held is None or int(document["version"]) > held:
            async with context.unit_of_work() as uow:
                if await store_document(uow.session, document):
                    log.info(
                        "catalogue read from the registry", extra={"version": document["version"]}
                    )
                await uow.commit()
            held = int(document["version"])
    except (RegistryUnavailable, ValidationError, KeyError, ValueError) as error:
        level = logging.WARNING if held is None else logging.DEBUG
        log.log(level, "catalogue not read from the registry", extra={"error": repr(error)})
    return held
