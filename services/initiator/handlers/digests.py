"""Answering digest requests (continuous reconciliation): the digest of the designations of some
memoranda (or all), or their (id, version, changed at) in some buckets, on the digests topic.

The digests come from rows the database keeps in step with every designation write
(`shared/reconciliation/digests.py`; `fold_worker` keeps the pending changes few), so an answer
costs about the same at 10 million designations as at ten; a bucket's pairs are read through the
bucket index.
"""

from __future__ import annotations

from pydantic import ValidationError

from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.recording import now
from shared.delivery.consumer import MessageContext, PermanentError
from shared.delivery.outbox import add_events
from shared.events.envelope import Envelope
from shared.reconciliation.digests import BUCKETS, bucket_digests, bucket_entries
from shared.reconciliation.messages import DigestRequested, answer_events


async def on_digest_requested(
    context: InitiatorContext, envelope: Envelope, message: MessageContext
) -> None:
    try:
        request = DigestRequested.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"not a digest request: {error}") from error
    if any(not 0 <= bucket < BUCKETS for bucket in request.buckets or ()):
        raise PermanentError(f"buckets are numbered 0 to {BUCKETS - 1}")
    session = message.session
    taken_at = now()
    if request.expires_at is not None and request.expires_at < taken_at:
        return
    if request.buckets is None:
        digests = await bucket_digests(session, request.memorandum_codes)
        events = answer_events(context.settings, request, taken_at, digests=digests)
    else:
        entries = await bucket_entries(
            session, request.buckets, request.memorandum_codes, with_changed_at=True
        )
        events = answer_events(context.settings, request, taken_at, entries=entries)
    await add_events(session, events)
