"""Catalogue versions: apply N+1 to N; on a gap (or none held) read the registry's current one."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.registry_client import RegistryUnavailable
from services.feedback.handlers.catalogue_revision import owe_revised
from services.feedback.handlers.dependencies import CatalogueFetcher, HandlerDependencies
from services.feedback.handlers.obligations import schedule_pending
from shared.catalogue import Catalogue, CatalogueGap
from shared.delivery.consumer import PermanentError
from shared.events.catalogue import CATALOGUE_VERSION_PUBLISHED, CatalogueVersionPublished
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope

log = logging.getLogger(__name__)

_EMPTY = Catalogue(0, (), (), ())


class CatalogueBehind(RuntimeError):
    """The registry does not serve the announced version yet; retried, then dead-lettered."""


async def next_catalogue(
    held: Catalogue | None, event: CatalogueVersionPublished, fetch: CatalogueFetcher
) -> Catalogue | None:
    """The catalogue after `event`, or None when it adds nothing to what is held."""
    if held is not None and event.version <= held.version:
        return None
    try:
        return (held or _EMPTY).applied(event)
    except CatalogueGap:
        fetched = await fetch()
    if fetched.version < event.version:
        raise CatalogueBehind(
            f"catalogue version {event.version} announced, the registry serves {fetched.version}"
        )
    return fetched


async def apply_catalogue(
    envelope: Envelope, session: AsyncSession, deps: HandlerDependencies
) -> None:
    if envelope.type.removeprefix(EVENT_TYPE_PREFIX) != CATALOGUE_VERSION_PUBLISHED:
        raise PermanentError(f"feedback does not read {envelope.type}")
    try:
        event = CatalogueVersionPublished.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"invalid catalogue event: {error}") from error
    # worked out before the lock, which holds every designation and receipt batch back: a gap
    # reads the registry, and that should not stop the other instances' consumers meanwhile
    held = await deps.catalogues.current(session)
    catalogue = await _next_valid(held, event, deps)
    await deps.catalogues.lock(session)
    locked = await deps.catalogues.current(session)
    if _version(locked) != _version(held):  # another instance held a version meanwhile
        held, catalogue = locked, await _next_valid(locked, event, deps)
    if catalogue is not None:
        await hold_catalogue(session, catalogue, deps, earlier=held)


async def _next_valid(
    held: Catalogue | None, event: CatalogueVersionPublished, deps: HandlerDependencies
) -> Catalogue | None:
    try:
        return await next_catalogue(held, event, deps.fetch_catalogue)
    except ValidationError as error:
        raise PermanentError(f"catalogue version {event.version} is invalid: {error}") from error


def _version(catalogue: Catalogue | None) -> int | None:
    return None if catalogue is None else catalogue.version


async def hold_catalogue(
    session: AsyncSession,
    catalogue: Catalogue,
    deps: HandlerDependencies,
    earlier: Catalogue | None = None,
) -> None:
    await deps.catalogues.save(session, catalogue)
    scheduled = await schedule_pending(session, catalogue, deps.calendar)
    owed_more = 0
    if earlier is not None:
        owed_more = await owe_revised(session, earlier, catalogue, deps.calendar, datetime.now(UTC))
    log.info(
        "catalogue version held",
        extra={
            "version": catalogue.version,
            "designations_scheduled": scheduled,
            "designations_owed_more": owed_more,
        },
    )


async def catalogue_at_start(session: AsyncSession, deps: HandlerDependencies) -> bool:
    """Read the registry's catalogue when none is held; False when the registry is not there."""
    await deps.catalogues.lock(session)
    if await deps.catalogues.current(session) is not None:
        return True
    try:
        catalogue = await deps.fetch_catalogue()
    except RegistryUnavailable as error:
        log.warning(
            "no catalogue held and the registry did not answer", extra={"error": str(error)}
        )
        return False
    await hold_catalogue(session, catalogue, deps)
    return True
