"""The check API (应查必查): one subject, or up to 1,000 at once (批量比对)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.responder.entrypoints.dependencies import (
    CHECK_SECURITY,
    PROBLEM_RESPONSES,
    AuthorisedCheck,
    authorised_check,
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
    if not state.index_ready:
        raise Problem(
            503,
            "the check index is still loading or catching up; retry shortly",
            headers={"Retry-After": "2"},
        )
    if scenario is not None and scenario not in state.scenarios:
        known = ", ".join(sorted(state.scenarios))
        message = f"unknown scenario {scenario!r} for department {state.department}; known: {known}"
        raise Problem(422, message, errors=[{"location": location, "message": message}])


_SUBJECT_DESCRIPTION = "统一社会信用代码 or 居民身份证号码"
_SCENARIO_DESCRIPTION = "only measures for this business scenario (e.g. `government_procurement`)"
CHECK_PARAMETERS: list[dict[str, object]] = [
    {
        "name": "subject_id",
        "in": "path",
        "required": True,
        "schema": {
            "type": "string",
            "maxLength": 64,
            "description": _SUBJECT_DESCRIPTION,
            "examples": [EXAMPLE_SUBJECT],
            "title": "Subject Id",
        },
        "description": _SUBJECT_DESCRIPTION,
    },
    {
        "name": "scenario",
        "in": "query",
        "required": False,
        "schema": {
            "anyOf": [
                {"type": "string", "maxLength": 64, "pattern": CODE_PATTERN},
                {"type": "null"},
            ],
            "description": _SCENARIO_DESCRIPTION,
            "title": "Scenario",
        },
        "description": _SCENARIO_DESCRIPTION,
    },
]
"""The check's parameters as FastAPI would document them. The route reads them itself: a
check is the hot path, and FastAPI's per-parameter validation cost a fifth of it. Nothing is
lost: an id that is too long or malformed is a 422 naming `path.subject_id` (parse_subject_id),
and a scenario that is not one of the department's (which covers the pattern and the length)
a 422 naming `query.scenario`."""


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
    openapi_extra={**CHECK_SECURITY, "parameters": CHECK_PARAMETERS},
)
async def check_one(request: Request) -> Response:
    caller = await authorised_check(request)
    state = caller.state
    subject_id: str = request.path_params["subject_id"]
    scenario = request.query_params.get("scenario")
    _usable(state, scenario, "query.scenario")
    try:
        answer = check_subject(state, subject_id, scenario, CheckClock())
    except IdentifierError as error:
        raise Problem(
            422,
            f"subject_id {subject_id!r} is not a valid 统一社会信用代码 or 居民身份证号码: {error.reason}",
            errors=[{"location": "path.subject_id", "message": error.reason}],
        ) from None
    state.check_counts.add(caller.client_id)
    return _json(answer)


@router.post(
    "/v1/checks/batch",
    response_model=BatchCheckAnswer,
    summary="Check up to 1,000 subjects at once (批量比对)",
    description="Answers per id, in the order given; an invalid id is answered with its error.",
    responses=PROBLEM_RESPONSES,
    openapi_extra=CHECK_SECURITY,
)
async def check_many(body: BatchCheckRequest, caller: AuthorisedCheck) -> Response:
    _usable(caller.state, body.scenario, "body.scenario")
    answer = check_batch(caller.state, body.subject_ids, body.scenario)
    caller.state.check_counts.add(caller.client_id, len(body.subject_ids))
    return _json(answer)
