"""Problem responses as routes declare them in OpenAPI: `problem_responses(404, 409)`.

Statuses every route of a kind can answer (401/403 behind a token, 400/413 with a body, 503)
are added to every document by `shared.web.openapi`; routes declare the ones their handlers
raise (404, 409, …), with a description of their own where the default says too little.
"""

from __future__ import annotations

from typing import Any

DESCRIPTIONS: dict[int, str] = {
    400: "the body cannot be read: not UTF-8, or not valid in its media type",
    401: "no valid bearer token: missing, expired, or not signed by the registry",
    403: "the token's department or roles may not do this",
    404: "no such record",
    409: "not allowed in the current state (names the current state and the action)",
    413: "the body is larger than the service accepts",
    422: "invalid input: `errors` lists each location and message",
    503: "the database (or another dependency) cannot be reached now; retry shortly",
}

Responses = dict[int | str, dict[str, Any]]


def problem_responses(*statuses: int, described: dict[int, str] | None = None) -> Responses:
    """Responses for `statuses` (and those of `described`), with the default descriptions
    unless `described` gives one."""
    texts = described or {}
    return {
        status: {"description": texts.get(status) or DESCRIPTIONS[status]}
        for status in dict.fromkeys((*statuses, *texts))
    }
