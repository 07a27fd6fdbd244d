"""The consumer's one handler: routes each event to its handler by type family."""

from __future__ import annotations

from prometheus_client import Counter

from services.feedback.handlers.batch_locks import lock_before_writing
from services.feedback.handlers.catalogue import apply_catalogue
from services.feedback.handlers.dependencies import HandlerDependencies
from services.feedback.handlers.designations import apply_designation
from services.feedback.handlers.receipts import record_receipt
from shared.delivery.consumer import Handler, MessageContext, PermanentError
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope

RECEIPTS = Counter(
    "jointcredit_feedback_receipts_total",
    "receipts feedback consumed: recorded, or a re-sent receipt id absorbed as duplicate",
    ["outcome"],
)


def _count_receipts(recorded: int, duplicates: int) -> None:
    RECEIPTS.labels("recorded").inc(recorded)
    RECEIPTS.labels("duplicate").inc(duplicates)


def make_handler(deps: HandlerDependencies) -> Handler:
    async def handle(envelope: Envelope, context: MessageContext) -> None:
        family = envelope.type.removeprefix(EVENT_TYPE_PREFIX).split(".", 1)[0]
        if family == "catalogue":
            await apply_catalogue(envelope, context.session, deps)
        elif family == "designation":
            lock_before_writing(context, deps.catalogues, envelope.data.get("id"))
            apply_designation(envelope, context, deps)
        elif family == "receipt":
            lock_before_writing(context, deps.catalogues, envelope.data.get("designation_id"))
            record_receipt(envelope, context, _count_receipts)
        else:
            raise PermanentError(f"feedback does not read {envelope.type}")

    return handle
