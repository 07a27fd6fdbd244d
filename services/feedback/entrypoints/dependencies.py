"""Route dependencies: the oversight principal, a read session, the `as_of` instant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.bootstrap import Feedback
from services.feedback.domain.obligations import SHANGHAI
from shared.auth import Principal, Role, require_roles
from shared.web.problems import Problem


def feedback_of(request: Request) -> Feedback:
    feedback: Feedback = request.app.state.feedback
    return feedback


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with feedback_of(request).runtime.sessions() as session:
        yield session


FIRST_YEAR, LAST_YEAR = 2000, 2199
YEARS_PATTERN = r"^2[01][0-9]{2}-"
"""The years 2000 to 2199 as written (a naive instant's year is its Shanghai year)."""


def within_reporting_years(moment: datetime) -> datetime:
    """Naive instants are Asia/Shanghai time; reports cover the years 2000 to 2199."""
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR or moment.utcoffset() is None:
        raise ValueError(f"must fall in the years {FIRST_YEAR} to {LAST_YEAR}")
    return moment


def as_of_instant(
    as_of: Annotated[
        datetime | None,
        Query(
            description="the instant figures are judged at (default: now); "
            "without an offset it is read as Asia/Shanghai time",
            examples=["2026-10-09T00:00:00+08:00"],
            json_schema_extra={"pattern": YEARS_PATTERN},
        ),
    ] = None,
) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    try:
        return within_reporting_years(as_of)
    except ValueError as error:
        raise Problem(
            422,
            f"invalid request: query.as_of: {error}",
            errors=[{"location": "query.as_of", "message": str(error), "type": "value_error"}],
        ) from error


Oversight = Annotated[Principal, Depends(require_roles(Role.oversight, Role.admin))]
Session = Annotated[AsyncSession, Depends(read_session)]
AsOf = Annotated[datetime, Depends(as_of_instant)]
FeedbackApp = Annotated[Feedback, Depends(feedback_of)]


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
INVALID_INPUT: dict[int | str, dict[str, Any]] = {
    422: {"description": "invalid input: `errors` lists each location and message", **_PROBLEM},
}
OVERSIGHT_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token", **_PROBLEM},
    403: {"description": "the token has neither the oversight nor the admin role", **_PROBLEM},
    **INVALID_INPUT,
    503: {"description": "tokens cannot be verified now (no key set)", **_PROBLEM},
}
