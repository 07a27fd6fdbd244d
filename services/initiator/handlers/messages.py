"""The events the initiator consumes, each mapped to its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.initiator.handlers.catalogue import on_catalogue_version
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.digests import on_digest_requested
from services.initiator.handlers.republish import on_republish_requested
from shared.delivery.consumer import Handler, MessageContext, PermanentError
from shared.events.catalogue import CATALOGUE_VERSION_PUBLISHED
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope
from shared.events.republish import REPUBLISH_REQUESTED
from shared.reconciliation.messages import DIGEST_REQUESTED

EventHandler = Callable[[InitiatorContext, Envelope, MessageContext], Awaitable[None]]

HANDLERS: dict[str, EventHandler] = {
    EVENT_TYPE_PREFIX + CATALOGUE_VERSION_PUBLISHED: on_catalogue_version,
    EVENT_TYPE_PREFIX + REPUBLISH_REQUESTED: on_republish_requested,
    EVENT_TYPE_PREFIX + DIGEST_REQUESTED: on_digest_requested,
}


def message_handler(context: InitiatorContext) -> Handler:
    async def handle(envelope: Envelope, message: MessageContext) -> None:
        handler = HANDLERS.get(envelope.type)
        if handler is None:
            raise PermanentError(f"the initiator does not read events of type {envelope.type!r}")
        await handler(context, envelope, message)

    return handle
