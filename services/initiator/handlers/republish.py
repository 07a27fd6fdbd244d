"""Re-publication (对账): the current state of designations, again, as `designation.republished.v1`.

A request names designations, a department (every designation it should hold: the memoranda
whose measures it implements, `Catalogue.departments_owing`; some of them only, when the request
names memoranda) or all. It is stored first, then
worked through in batches of `REPUBLISH_BATCH_SIZE`, each batch one transaction that moves the
request's cursor, so a large request survives restarts and two instances share the work.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters import designations_repo
from services.initiator.adapters.tables import designations, republish_requests
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.designations import current_catalogue
from services.initiator.handlers.recording import designation_event, now
from shared.catalogue import Catalogue
from shared.delivery.consumer import MessageContext, PermanentError
from shared.delivery.outbox import add_events
from shared.events.designations import DesignationEventType
from shared.events.envelope import Envelope
from shared.events.republish import RepublishRequested
from shared.stopping import wait_for_either

log = logging.getLogger(__name__)

R = republish_requests.c
D = designations.c
Scope = Literal["designations", "department", "all"]


def request_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "request_id": str(row.id),
        "scope": row.scope,
        "designation_ids": [str(i) for i in row.designation_ids or ()] or None,
        "department_code": row.department_code,
        "reason": row.reason,
        "state": row.state,
        "republished": row.republished,
        "requested_at": row.requested_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }


def owed_memoranda(catalogue: Catalogue, department_code: str) -> list[str]:
    """Memoranda whose designations the department should hold."""
    return sorted(
        code for code in catalogue.memoranda if department_code in catalogue.departments_owing(code)
    )


async def enqueue(
    context: InitiatorContext,
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    scope: Scope,
    requested_by: str,
    reason: str,
    designation_ids: Sequence[uuid.UUID] = (),
    department_code: str | None = None,
    memorandum_codes: Sequence[str] | None = None,
    requested_at: datetime | None = None,
) -> Row[Any]:
    """Store a request (once per id) and return it; the worker publishes it after the commit.
    A department's request covers the memoranda it should hold (of `memorandum_codes` only,
    when given)."""
    memoranda = None
    if scope == "department":
        catalogue = await current_catalogue(context, session)
        memoranda = owed_memoranda(catalogue, department_code or "")
        if memorandum_codes is not None:
            memoranda = [code for code in memoranda if code in set(memorandum_codes)]
    await session.execute(
        insert(republish_requests)
        .values(
            id=request_id,
            scope=scope,
            designation_ids=sorted(set(designation_ids)) if scope == "designations" else None,
            department_code=department_code,
            memoranda=memoranda,
            reason=reason,
            requested_by=requested_by,
            state="pending",
            requested_at=requested_at or now(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return (await session.execute(select(republish_requests).where(R.id == request_id))).one()


async def get_request(session: AsyncSession, request_id: uuid.UUID) -> Row[Any] | None:
    return (await session.execute(select(republish_requests).where(R.id == request_id))).first()


async def on_republish_requested(
    context: InitiatorContext, envelope: Envelope, message: MessageContext
) -> None:
    try:
        request = RepublishRequested.model_validate(envelope.data)
    except ValidationError as error:
        raise PermanentError(f"not a re-publish request: {error}") from error
    await enqueue(
        context,
        message.session,
        request_id=request.request_id,
        scope="designations" if request.designation_ids else "department",
        requested_by=f"event:{envelope.source}",
        reason=request.reason,
        designation_ids=request.designation_ids or (),
        department_code=None if request.designation_ids else request.department_code,
        memorandum_codes=request.memorandum_codes,
        requested_at=request.requested_at,
    )
    message.after_commit(context.republish_wake.set)


def _batch_query(job: Row[Any], limit: int) -> Any:
    statement = select(designations).order_by(D.id).limit(limit)
    if job.cursor is not None:
        statement = statement.where(D.id > job.cursor)
    if job.scope == "designations":
        statement = statement.where(D.id.in_(list(job.designation_ids or ())))
    elif job.scope == "department":
        statement = statement.where(D.memorandum_code.in_(list(job.memoranda or ())))
    return statement


async def republish_step(context: InitiatorContext) -> bool:
    """Publish one batch of the oldest open request; False when none is open."""
    limit = context.settings.republish_batch_size
    async with context.unit_of_work() as uow:
        session = uow.session
        job = (
            await session.execute(
                select(republish_requests)
                .where(R.state != "done")
                .order_by(R.requested_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if job is None:
            return False
        rows = list(await session.execute(_batch_query(job, limit)))
        events = []
        for row in rows:
            state = designations_repo.state_from_row(row._mapping).model_copy(
                update={"republish_request_id": job.id}
            )
            events.append(
                designation_event(context.settings, state, DesignationEventType.republished)
            )
        await add_events(session, events)
        done = len(rows) < limit
        await session.execute(
            update(republish_requests)
            .where(R.id == job.id)
            .values(
                cursor=rows[-1].id if rows else job.cursor,
                republished=R.republished + len(rows),
                state="done" if done else "running",
                finished_at=now() if done else None,
            )
        )
        await uow.commit()
    return True


async def run_republisher(context: InitiatorContext, stop: asyncio.Event) -> None:
    while not stop.is_set():
        context.republish_wake.clear()
        try:
            while not stop.is_set() and await republish_step(context):
                pass
        except (SQLAlchemyError, OSError) as error:
            log.warning("re-publication failed; retrying", extra={"error": repr(error)})
        await wait_for_either(
            context.republish_wake, stop, context.settings.republish_poll_interval_s
        )
