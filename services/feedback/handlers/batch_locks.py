"""The locks a consumer batch takes before it writes: all of them first, in one global order.

Feedback instances share one database, and a poll's transaction writes designations (from
designation events) and receipts (from receipt events) of many designations. Each writer locks
the designations it writes, sorted; but two writers in one transaction lock twice, so an
instance could hold d1 and wait for d2 while another holds d2 and waits for d1. Instead, before
any handler writes, the batch takes:

1. the held catalogue's lock, shared: a new catalogue version (which schedules and revises the
   obligations of designations of every partition) takes it exclusively, so it waits for the
   batches in flight and they wait for it — nothing else orders a catalogue against them;
2. the advisory lock of every designation the batch names, in one sorted statement.

The handlers' own locks are then already held (taking them again never waits). Co-partitioned
topics and the range assignor make two instances rarely meet on one designation; this order is
what keeps them from deadlocking when they do (a rebalance hands partitions over mid-batch).
"""

from __future__ import annotations

import uuid

from services.feedback.adapters import designation_records
from services.feedback.adapters.catalogue_store import CatalogueStore
from shared.delivery.consumer import MessageContext, gathered_for_commit

_PENDING = "feedback_batch_locks"


def lock_before_writing(
    context: MessageContext, catalogues: CatalogueStore, designation_id: object
) -> None:
    """Name a designation the batch writes; call it before the message's handler, so that the
    locks are taken before every handler's write."""
    session = context.session

    async def lock(designation_ids: list[uuid.UUID]) -> None:
        await catalogues.lock_shared(session)
        await designation_records.lock_designations(session, designation_ids)

    designation_ids = gathered_for_commit(context, _PENDING, lock)
    canonical = _as_uuid(designation_id)
    if canonical is not None:
        designation_ids.append(canonical)


def _as_uuid(value: object) -> uuid.UUID | None:
    """The id as the handlers lock it; None when invalid (the handler rejects the event)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
