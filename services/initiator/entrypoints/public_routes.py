"""Public routes: the lists (公示), and the subject's own objection or repair, which need the
subject's ID token. Every public route is rate-limited per client address."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.initiator.adapters.queries import public_exits, public_list
from services.initiator.entrypoints.dependencies import (
    RATE_LIMITED,
    CodeQuery,
    Context,
    IdempotencyHeader,
    Limit,
    Offset,
    Subject,
    answer_once,
    next_offset,
    problems,
    public_rate_limit,
)
from services.initiator.entrypoints.schemas import (
    Page,
    PublicObjectionIn,
    PublicRepairIn,
)
from services.initiator.handlers import applications
from services.initiator.handlers.applications import Application, subject_actor
from services.initiator.handlers.recording import now
from services.initiator.handlers.views import (
    ObjectionOut,
    PublicEntryOut,
    RepairOut,
    public_view,
)
from shared.auth.id_tokens import SubjectIdentity
from shared.identifiers import SubjectKind, mask_resident_id, mask_subject_id
from shared.web.problems import Problem

router = APIRouter(
    prefix="/v1/public",
    tags=["public"],
    dependencies=[Depends(public_rate_limit)],
    responses=RATE_LIMITED,
)

FILING_PROBLEMS = problems(404, 409, 503)
FILING_PROBLEMS[401] = {
    **FILING_PROBLEMS[401],
    "description": "no ID token, or one that cannot be trusted (expired, another issuer or "
    "audience, an unknown key): `WWW-Authenticate` names the scheme",
}
FILING_PROBLEMS[403] = {
    **FILING_PROBLEMS[403],
    "description": "the verified subject is not the designated one",
}
FILING_PROBLEMS[503] = {
    **FILING_PROBLEMS[503],
    "description": "the identity provider's keys cannot be read now",
}


class PublicPage(Page):
    as_of: datetime
    items: list[PublicEntryOut]


class VerifiedFilerOut(BaseModel):
    """Who filed, as the identity provider vouched."""

    kind: Literal["organisation", "person"]
    subject_id: str
    acting_person_id: str = Field(
        description="居民身份证号码 of the person who acted (the person itself, or the "
        "organisation's 经办人), masked"
    )


class PublicObjectionOut(ObjectionOut):
    designation: PublicEntryOut
    filed_by: VerifiedFilerOut


class PublicRepairOut(RepairOut):
    designation: PublicEntryOut
    filed_by: VerifiedFilerOut


def _filed_by(identity: SubjectIdentity) -> dict[str, Any]:
    return {
        "kind": identity.kind,
        "subject_id": mask_subject_id(SubjectKind(identity.kind), identity.subject_id),
        "acting_person_id": mask_resident_id(identity.acting_person_id),
    }


def _same_subject(identity: SubjectIdentity, claimed: str) -> None:
    """The body names the subject too (the lists show it); it must be the verified one."""
    if claimed != identity.subject_id:
        raise Problem(
            403,
            f"the ID token proves {identity.kind} {identity.subject_id}; it cannot file for "
            f"subject {claimed}",
            title="Not the designated subject",
        )


async def _page(context: Context, statement: Any, limit: int, offset: int) -> dict[str, Any]:
    async with context.unit_of_work() as uow:
        rows = list(await uow.session.execute(statement))
    return {
        "as_of": now().isoformat(),
        "items": [public_view(row._mapping) for row in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset(len(rows), limit, offset),
    }


@router.get(
    "/lists/black",
    response_model=PublicPage,
    summary="The current black list (黑名单公示), persons masked",
)
async def black_list(
    context: Context,
    memorandum_code: CodeQuery = None,
    department: CodeQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    statement = public_list("black", memorandum_code, department, limit, offset)
    return await _page(context, statement, limit, offset)


@router.get(
    "/lists/red",
    response_model=PublicPage,
    summary="The current red list (红名单公示), persons masked",
)
async def red_list(
    context: Context,
    memorandum_code: CodeQuery = None,
    department: CodeQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    statement = public_list("red", memorandum_code, department, limit, offset)
    return await _page(context, statement, limit, offset)


@router.get(
    "/exits",
    response_model=PublicPage,
    summary="Exits (退出): corrected, revoked, repaired and expired designations, persons masked",
)
async def exits(
    context: Context,
    list_type: Literal["red", "black"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return await _page(context, public_exits(list_type, limit, offset), limit, offset)


@router.post(
    "/objections",
    status_code=201,
    response_model=PublicObjectionOut,
    summary="The designated subject, proven by its ID token, objects (异议): measures are "
    "suspended at once",
    responses=FILING_PROBLEMS,
)
async def subject_objection(
    body: PublicObjectionIn,
    request: Request,
    context: Context,
    subject: Subject,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    _same_subject(subject, body.subject_id)
    application = Application(
        body.designation_id, body.grounds, tuple(body.evidence), body.contact, subject
    )

    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        status, answer = await applications.file_objection(
            context, session, application, subject_actor(subject), public=True
        )
        return status, {**answer, "filed_by": _filed_by(subject)}

    return await answer_once(
        context, f"subject:{subject.subject_id}", request, idempotency, body, work
    )


@router.post(
    "/repairs",
    status_code=201,
    response_model=PublicRepairOut,
    summary="The designated subject, proven by its ID token, applies for credit repair (信用修复)",
    responses=FILING_PROBLEMS,
)
async def subject_repair(
    body: PublicRepairIn,
    request: Request,
    context: Context,
    subject: Subject,
    idempotency: IdempotencyHeader = None,
) -> JSONResponse:
    _same_subject(subject, body.subject_id)
    application = Application(
        body.designation_id, body.statement, tuple(body.evidence), body.contact, subject
    )

    async def work(session: Any) -> tuple[int, dict[str, Any]]:
        status, answer = await applications.file_repair(
            context, session, application, subject_actor(subject), public=True
        )
        return status, {**answer, "filed_by": _filed_by(subject)}

    return await answer_once(
        context, f"subject:{subject.subject_id}", request, idempotency, body, work
    )
