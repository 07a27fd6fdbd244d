"""Following the catalogue: versions applied in order, gaps filled from the registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.responder.adapters import catalogue_store, index_feed
from services.responder.handlers import catalogue_revision
from services.responder.metrics import CATALOGUE_EVENTS
from services.responder.state import ResponderState
from shared.catalogue import Catalogue, CatalogueGap
from shared.delivery.consumer import MessageContext, PermanentError
from shared.events.catalogue import CATALOGUE_VERSION_PUBLISHED, CatalogueVersionPublished
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope

CatalogueFetcher = Callable[[], Awaitable[Catalogue]]

_PENDING = "responder_pending_catalogue"
_TYPE = EVENT_TYPE_PREFIX + CATALOGUE_VERSION_PUBLISHED


def current_catalogue(session: AsyncSession, state: ResponderState) -> Catalogue | None:
    """The catalogue as of this transaction: one adopted earlier in the batch, or the held one."""
    pending: Catalogue | None = session.info.get(_PENDING)
    return pending or state.catalogue


async def adopt(
    session: AsyncSession, state: ResponderState, context: MessageContext, catalogue: Catalogue
) -> None:
    """Store `catalogue` in this transaction; hold it in memory once that commits. The other
    replicas of the department learn it from the index's change feed."""
    await catalogue_store.save(session, catalogue)
    await index_feed.record_change(session, (), catalogue_version=catalogue.version)
    session.info[_PENDING] = catalogue
    context.after_commit(lambda: state.hold_catalogue(catalogue))


async def handle_catalogue_event(
    envelope: Envelope, context: MessageContext, state: ResponderState, fetch: CatalogueFetcher
) -> None:
    if envelope.type != _TYPE:
        raise PermanentError(f"not a catalogue event this responder reads: {envelope.type}")
    try:
        event = CatalogueVersionPublished.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"invalid catalogue event: {error}") from error
    session = context.session
    held = current_catalogue(session, state)
    department = state.department
    if held is not None and event.version <= held.version:
        context.after_commit(lambda: CATALOGUE_EVENTS.labels(department, "stale").inc())
        return
    try:
        catalogue = (held or Catalogue(0, (), (), ())).applied(event)
        outcome = "applied"
    except CatalogueGap:
        catalogue = await fetch()
        if catalogue.version < event.version:
            raise RuntimeError(
                f"the registry serves catalogue version {catalogue.version}, "
                f"older than the event's {event.version}"
            ) from None
        outcome = "fetched"
    except ValidationError as error:
        raise PermanentError(f"invalid catalogue change: {error}") from error
    await adopt(session, state, context, catalogue)
    if held is not None:
        revision = catalogue.revision_for(department, held)
        await catalogue_revision.ask_to_match_again(session, state.settings, revision)
    context.after_commit(lambda: CATALOGUE_EVENTS.labels(department, outcome).inc())
