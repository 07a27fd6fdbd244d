"""The OpenAPI document says what the service really answers: errors are problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.web.responses import DESCRIPTIONS

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; 422 adds `errors[{location, message, type}]`",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "trace_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}
_PROBLEM_CONTENT = {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
}


def install_problem_openapi(app: FastAPI) -> None:
    """Every documented error response (4xx, 5xx) is described as a problem document, and every
    operation lists the statuses it answers by its kind (see `_implied_statuses`)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status in _implied_statuses(path, operation):
                    responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
                for status, response in responses.items():
                    if status[:1] in {"4", "5"}:
                        response["content"] = _PROBLEM_CONTENT
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _implied_statuses(path: str, operation: dict[str, Any]) -> list[int]:
    """What any operation of its kind can answer, whatever its handler does: behind a token
    401 and 403; with a body 400 (bytes that are not UTF-8 or not JSON) and 413 (too large);
    and, but for liveness, 503 while the database cannot be reached."""
    statuses: list[int] = []
    if operation.get("security"):
        statuses += [401, 403]
    if "requestBody" in operation:
        statuses += [400, 413]
    if path != "/healthz":
        statuses.append(503)
    return statuses
