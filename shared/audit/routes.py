"""`GET /v1/audit` on every service: oversight reads and exports the service's audit trail.

Admitted: the `oversight` role of any department, and the platform administrator (an `admin`
client of PLATFORM_ADMIN_DEPARTMENT). JSON pages follow the sequence (`after` is the cursor);
`format=csv` (or `Accept: text/csv`) exports every matching entry, oldest first, streamed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from shared.audit.entries import Entry
from shared.audit.reading import AuditFilter, entries_query, entry_of
from shared.auth.dependencies import require_roles
from shared.auth.principal import Principal, Role
from shared.runtime import Runtime
from shared.tabular import CSV_MEDIA_TYPE
from shared.web.problems import Problem

_EXPORT_PAGE = 2_000
_COLUMNS = (
    "sequence",
    "at",
    "actor",
    "role",
    "department",
    "client",
    "request_id",
    "action",
    "target",
    "change",
    "previous_hash",
    "hash",
)
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
AUDIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        "description": "a page of entries, or with `format=csv` every matching entry",
    },
    401: {"description": "no valid token", **_PROBLEM},
    403: {
        "description": "the token has neither the oversight role nor is it the platform "
        "administrator's",
        **_PROBLEM,
    },
    422: {"description": "invalid input: `errors` lists each location and message", **_PROBLEM},
    503: {
        "description": "tokens cannot be verified now, or the database is restarting",
        **_PROBLEM,
    },
}


class AuditEntryOut(BaseModel):
    sequence: int
    at: datetime
    actor: str
    role: str | None
    department: str | None
    client: str | None
    request_id: str | None
    action: str
    target: str
    change: dict[str, Any]
    previous_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_after: int | None
    """Pass as `after` for the next page; null on the last one."""


def _entry_out(entry: Entry) -> AuditEntryOut:
    fields = {name: getattr(entry, name) for name in _COLUMNS}
    return AuditEntryOut(**fields | {"change": orjson.loads(entry.change)})


_admitted = require_roles(Role.oversight, Role.admin)


async def _overseer(
    request: Request, principal: Annotated[Principal, Depends(_admitted)]
) -> Principal:
    platform = request.app.state.runtime.settings.platform_admin_department
    if Role.oversight not in principal.roles and principal.department_code != platform:
        raise Problem(
            403,
            f"the audit trail is read by oversight or by the platform administrator (an admin "
            f"of {platform!r}); this admin belongs to {principal.department_code!r}",
            title="Forbidden",
        )
    return principal


Overseer = Annotated[Principal, Depends(_overseer)]
Code = Annotated[str | None, Query(min_length=1, max_length=200)]


def audit_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/v1/audit",
        response_model=AuditPage,
        summary="The audit trail of this service: every write and administrative act",
        responses=AUDIT_RESPONSES,
    )
    async def read_audit(
        request: Request,
        principal: Overseer,
        since: Annotated[datetime | None, Query(description="from this instant on")] = None,
        until: Annotated[datetime | None, Query(description="before this instant")] = None,
        action: Code = None,
        department: Code = None,
        client: Code = None,
        after: Annotated[int, Query(ge=0, description="entries after this sequence")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        format: Literal["json", "csv"] | None = None,
    ) -> Any:
        where = AuditFilter(since, until, action, department, client, after)
        wants_csv = format == "csv" or (
            format is None and request.headers.get("accept", "").startswith("text/csv")
        )
        if wants_csv:
            return StreamingResponse(
                _csv(runtime, where),
                media_type=CSV_MEDIA_TYPE,
                headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
            )
        async with runtime.sessions() as session:
            rows = (await session.execute(entries_query(where, limit))).all()
        items = [_entry_out(entry_of(row._mapping)) for row in rows]
        last = items[-1].sequence if len(items) == limit else None
        return AuditPage(items=items, next_after=last)

    return router


async def _csv(runtime: Runtime, where: AuditFilter) -> AsyncIterator[bytes]:
    """The header, then pages of entries, each read in a short transaction of its own."""
    yield _csv_line(_COLUMNS, bom=True)
    while True:
        async with runtime.sessions() as session:
            rows = (await session.execute(entries_query(where, _EXPORT_PAGE))).all()
        for row in rows:
            entry = entry_of(row._mapping)
            values = [getattr(entry, name) for name in _COLUMNS]
            yield _csv_line([_cell(value) for value in values])
        if len(rows) < _EXPORT_PAGE:
            return
        where = replace(where, after=entry.sequence)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _csv_line(values: Any, *, bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")
