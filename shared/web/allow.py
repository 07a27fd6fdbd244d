"""The `Allow` header of a 405: every method of the path, not only those of the first route.

Starlette answers 405 with the methods of the first route whose path matched, so a path served
by two routes (GET and POST of `/v1/imports`) advertised one of them. Here each method is tried
against the routes as the router would; where the OpenAPI document describes the path, only
the methods of its most specific template are listed: `/v1/checks/batch` is its own route's
(POST), though `/v1/checks/{subject_id}` (GET) would match it too.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import Scope

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods the path of `scope` answers, sorted; empty when no route matches it."""
    served = [
        method
        for method in METHODS
        if any(
            route.matches({**scope, "method": method})[0] is Match.FULL
            for route in app.router.routes
        )
    ]
    documented = _documented_methods(app.openapi(), scope["path"])
    return sorted(m for m in served if documented is None or m in documented)


def _documented_methods(document: dict[str, Any], path: str) -> set[str] | None:
    """The methods of the most specific template in `document` matching `path`, or None."""
    templates = [
        template
        for template in document.get("paths", {})
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path)
    ]
    if not templates:
        return None
    template = min(templates, key=lambda t: t.count("{"))
    return {method.upper() for method in document["paths"][template]}
