"""The check API (应查必查): one subject, or up to 1,000 at once (批量比对)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from services.responder.entrypoints.dependencies import (
    CHECK_SECURITY,
    PROBLEM_RESPONSES,
    AuthorisedCheck,
)
from services.responder.entrypoints.schemas import (
    CODE_PATTERN,
    EXAMPLE_SUBJECT,
    BatchCheckAnswer,
    BatchCheckRequest,
    CheckAnswer,
)
from services.responder.handlers.checks import CheckClock, check_batch, check_subject
from services.responder.state import ResponderState
from shared.identifiers import IdentifierError
from shared.web.problems import Problem

router = APIRouter(tags=["checks"])

Scenario = Annotated[
    str | None,
    Query(
        pattern=CODE_PATTERN,
        max_length=64,
        description="only measures for this business scenario (e.g. `government_procurement`)",
    ),
]


def _json(body: object) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _usable(state: ResponderState, scenario: str | None, location: str) -> None:
    if not state.index.loaded:
        raise Problem(
            503, "the check index is still loading; retry shortly", headers={"Retry-After": "2"}
        )
    if scenario is not None and scenario not in state.scenarios:
        known = ", ".join(sorted(state.scenarios))
        message = f"unknown scenario {scenario!r} for department {state.department}; known: {known}"
        raise Problem(422, message, errors=[{"location": location, "message": message}])


@router.get(
    "/v1/checks/{subject_id}",
    response_model=CheckAnswer,
    summary="Check a subject: this department's measures in force now",
    description=(
        "Measures of this department in force today (Asia/Shanghai) for the subject, directly "
        "or as a responsible person of a designated organisation (落实到人). A suspended "
        "designation, or one past its period, applies nothing. An empty `measures` list still "
        "records that the subject was checked."
    ),
    responses=PROBLEM_RESPONSES,
    openapi_extra=CHECK_SECURITY,
)
async def check_one(
    subject_id: Annotated[
        str,
        Path(
            max_length=64,
            description="统一社会信用代码 or 居民身份证号码",
            examples=[EXAMPLE_SUBJECT],
        ),
    ],
    state: AuthorisedCheck,
    scenario: Scenario = None,
) -> Response:
    _usable(state, scenario, "query.scenario")
    try:
        answer = check_subject(state, subject_id, scenario, CheckClock())
    except IdentifierError as error:
        raise Problem(
            422,
            f"subject_id {subject_id!r} is not a valid 统一社会信用代码 or 居民身份证号码: {error.reason}",
            errors=[{"location": "path.subject_id", "message": error.reason}],
        ) from None
    return _json(answer)


@router.post(
    "/v1/checks/batch",
    response_model=BatchCheckAnswer,
    summary="Check up to 1,000 subjects at once (批量比对)",
    description="Answers per id, in the order given; an invalid id is answered with its error.",
    responses=PROBLEM_RESPONSES,
    openapi_extra=CHECK_SECURITY,
)
async def check_many(body: BatchCheckRequest, state: AuthorisedCheck) -> Response:
    _usable(state, body.scenario, "body.scenario")
    return _json(check_batch(state, body.subject_ids, body.scenario))
