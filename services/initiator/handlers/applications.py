"""Objections (异议) and credit repair (信用修复): filing and the initiating department's decision.

An objection suspends the designation at once and must be answered within a number of working
days; upheld → corrected (更正) or revoked (撤销), rejected → resumed. A repair application
changes nothing until approved (→ repaired, the exit is published) or rejected with a reason.

Who may file: the subject itself, proven by an ID token (`shared/auth/id_tokens.py`); for an
objection also a department that owes measures for the designation (the catalogue's
`departments_owing`) or made it; a repair on paper, any initiator. Every refusal happens
before anything is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Row, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters import applications_repo, designations_repo
from services.initiator.adapters.tables import objections, repairs
from services.initiator.domain import lifecycle
from services.initiator.domain.dates import local_date
from services.initiator.domain.lifecycle import Action, InvalidTransition
from services.initiator.domain.publication import due_after
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.designations import current_catalogue
from services.initiator.handlers.recording import (
    Actor,
    change,
    conflict,
    locked_designation,
    now,
    require_initiating_department,
)
from services.initiator.handlers.views import (
    ObjectionOut,
    RepairOut,
    application_view,
    designation_view,
    public_view,
)
from shared.audit.appending import append
from shared.audit.entries import Act
from shared.auth.id_tokens import SubjectIdentity
from shared.auth.principal import Principal
from shared.web.problems import Problem


@dataclass(frozen=True)
class Application:
    """What a subject or a department files: grounds or statement, evidence, a contact."""

    designation_id: uuid.UUID
    text: str
    evidence: tuple[str, ...] = ()
    contact: str | None = None
    subject: SubjectIdentity | None = None
    """The verified subject when it files through the public endpoint: must be the designated
    one."""


def subject_actor(identity: SubjectIdentity) -> Actor:
    """The subject as records name it: `filed_by_client` / `actor_client` say who and who
    acted (the organisation's 经办人)."""
    return Actor("subject", None, identity.label)


def _filer(actor: Actor) -> dict[str, Any]:
    return {
        "filed_by_kind": "subject" if actor.kind == "subject" else "department",
        "filed_by_department": actor.department,
        "filed_by_client": actor.client,
    }


def _check_subject(row: Row[Any], application: Application) -> None:
    identity = application.subject
    if identity is not None and identity.subject_id != row.subject_id:
        raise Problem(
            403,
            f"the verified subject ({identity.kind} {identity.subject_id}) is not the subject "
            f"of designation {row.id}",
            title="Not the designated subject",
        )


async def _check_objecting_department(
    context: InitiatorContext, session: AsyncSession, row: Row[Any], actor: Actor
) -> None:
    """A department suspends only designations it made or owes measures for."""
    if actor.kind != "department" or actor.department == row.initiating_department:
        return
    catalogue = await current_catalogue(context, session)
    if actor.department in catalogue.departments_owing(row.memorandum_code):
        return
    raise Problem(
        403,
        f"department {actor.department!r} neither made designation {row.id} nor owes measures "
        f"for memorandum {row.memorandum_code!r} (catalogue version {catalogue.version}); "
        "it cannot file an objection that suspends it",
        title="Not a department of this designation",
    )


async def _audit(session: AsyncSession, actor: Actor, action: str, application: RowMapping) -> None:
    """The application's row as it is now, in the audit trail (its designation's change is
    recorded by `change`)."""
    await append(session, [Act(actor.audited(), action, str(application["id"]), dict(application))])


async def _both(
    session: AsyncSession,
    application: dict[str, Any],
    designation_id: uuid.UUID,
    public: bool = False,
) -> dict[str, Any]:
    """The application with its designation (masked for the public endpoints)."""
    row = await designations_repo.get(session, designation_id)
    assert row is not None
    view = public_view if public else designation_view
    return {**application, "designation": view(row._mapping)}


async def file_objection(
    context: InitiatorContext,
    session: AsyncSession,
    application: Application,
    actor: Actor,
    public: bool = False,
) -> tuple[int, dict[str, Any]]:
    row = await locked_designation(session, application.designation_id)
    _check_subject(row, application)
    await _check_objecting_department(context, session, row, actor)
    objection_id = uuid.uuid4()
    at = now()
    await change(
        session,
        context.settings,
        row,
        Action.suspend,
        actor,
        note=f"objection {objection_id}: {application.text}",
        at=at,
    )
    due = due_after(at, context.settings.objection_answer_workdays, context.calendar)
    objection = await applications_repo.insert(
        session,
        objections,
        {
            "id": objection_id,
            "designation_id": application.designation_id,
            **_filer(actor),
            "grounds": application.text,
            "evidence": list(application.evidence),
            "contact": application.contact,
            "filed_at": at,
            "answer_due": due.due,
            "answer_due_provisional": due.provisional,
            "status": "pending",
        },
    )
    await _audit(session, actor, "objection.filed", objection._mapping)
    view = application_view(ObjectionOut, objection._mapping, local_date(at))
    return 201, await _both(session, view, application.designation_id, public)


async def _locked_application(
    session: AsyncSession, principal: Principal, table: Any, application_id: uuid.UUID, noun: str
) -> tuple[Row[Any], Row[Any]]:
    """The designation (locked first, always in that order) and the pending application."""
    found = await applications_repo.get(session, table, application_id)
    if found is None:
        raise Problem(404, f"no {noun} {application_id}")
    designation = await locked_designation(session, found.designation_id)
    require_initiating_department(principal, designation)
    application = await applications_repo.get(session, table, application_id, for_update=True)
    assert application is not None
    if application.status != "pending":
        raise Problem(
            409,
            f"{noun} {application_id} was already decided: {application.status}",
            title="Already decided",
            current_status=application.status,
        )
    return designation, application


async def decide_objection(
    context: InitiatorContext,
    session: AsyncSession,
    principal: Principal,
    objection_id: uuid.UUID,
    outcome: Literal["upheld", "rejected"],
    resolution: Literal["corrected", "revoked"] | None,
    note: str | None,
) -> tuple[int, dict[str, Any]]:
    designation, _ = await _locked_application(
        session, principal, objections, objection_id, "objection"
    )
    if outcome == "rejected":
        action = Action.resume
    elif resolution == "corrected":
        action = Action.correct
    else:
        action = Action.revoke
    at = now()
    await change(
        session,
        context.settings,
        designation,
        action,
        Actor.of(principal),
        note=f"objection {objection_id} {outcome}" + (f": {note}" if note else ""),
        objection_decision=True,
        at=at,
    )
    decided = await applications_repo.decide(
        session,
        objections,
        objection_id,
        {
            "status": outcome,
            "resolution": resolution if outcome == "upheld" else None,
            "note": note,
            "decided_at": at,
            "decided_by_client": principal.client_id,
        },
    )
    await _audit(session, Actor.of(principal), "objection.decided", decided._mapping)
    view = application_view(ObjectionOut, decided._mapping, local_date(at))
    return 200, await _both(session, view, designation.id)


async def file_repair(
    context: InitiatorContext,
    session: AsyncSession,
    application: Application,
    actor: Actor,
    public: bool = False,
) -> tuple[int, dict[str, Any]]:
    row = await locked_designation(session, application.designation_id)
    _check_subject(row, application)
    state = designations_repo.state_from_row(row._mapping)
    try:
        lifecycle.transition(state, Action.repair)
    except InvalidTransition as error:
        raise conflict(error, state) from None
    pending = await applications_repo.pending_for(session, repairs, application.designation_id)
    if pending is not None:
        raise Problem(
            409,
            f"repair application {pending.id} for this designation is still pending",
            title="Already applied",
            pending_repair_id=str(pending.id),
        )
    at = now()
    due = due_after(at, context.settings.repair_answer_workdays, context.calendar)
    repair = await applications_repo.insert(
        session,
        repairs,
        {
            "id": uuid.uuid4(),
            "designation_id": application.designation_id,
            **_filer(actor),
            "statement": application.text,
            "evidence": list(application.evidence),
            "contact": application.contact,
            "filed_at": at,
            "answer_due": due.due,
            "answer_due_provisional": due.provisional,
            "status": "pending",
        },
    )
    await _audit(session, actor, "repair.filed", repair._mapping)
    view = application_view(RepairOut, repair._mapping, local_date(at))
    return 201, await _both(session, view, application.designation_id, public)


async def decide_repair(
    context: InitiatorContext,
    session: AsyncSession,
    principal: Principal,
    repair_id: uuid.UUID,
    approved: bool,
    reason: str | None,
) -> tuple[int, dict[str, Any]]:
    if not approved and not reason:
        message = "a rejection needs its reason"
        raise Problem(422, message, errors=[{"location": "body.reason", "message": message}])
    designation, _ = await _locked_application(session, principal, repairs, repair_id, "repair")
    at = now()
    if approved:
        await change(
            session,
            context.settings,
            designation,
            Action.repair,
            Actor.of(principal),
            note=f"repair {repair_id} approved" + (f": {reason}" if reason else ""),
            at=at,
        )
    decided = await applications_repo.decide(
        session,
        repairs,
        repair_id,
        {
            "status": "approved" if approved else "rejected",
            "reason": reason,
            "decided_at": at,
            "decided_by_client": principal.client_id,
        },
    )
    await _audit(session, Actor.of(principal), "repair.decided", decided._mapping)
    view = application_view(RepairOut, decided._mapping, local_date(at))
    return 200, await _both(session, view, designation.id)
