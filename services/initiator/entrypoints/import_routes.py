"""Routes of bulk imports: upload (CSV/XLSX), progress, the per-row report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from services.initiator.adapters import imports_repo
from services.initiator.entrypoints.dependencies import (
    Context,
    InitiatorRole,
    Limit,
    Offset,
    Reader,
    Wired,
    next_offset,
    problems,
    require_reader_of,
    sees_everything,
)
from services.initiator.entrypoints.schemas import Page
from services.initiator.handlers import imports
from shared.web.problems import Problem

router = APIRouter(prefix="/v1/imports", tags=["bulk import"])

Outcome = Literal["created", "already_present", "error"]


class ImportOut(BaseModel):
    import_id: uuid.UUID
    state: Literal["running", "completed", "failed", "interrupted"]
    department: str
    filename: str | None
    format: Literal["csv", "xlsx"]
    size_bytes: int
    sha256: str
    rows_read: int
    created: int
    duplicates: int
    errors: int
    ignored_columns: list[str]
    failure: str | None
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None


class ImportPage(Page):
    items: list[ImportOut]


class ReportEntryOut(BaseModel):
    row: int
    outcome: Outcome
    designation_id: uuid.UUID | None
    column: str | None
    message: str | None


class ReportPage(Page):
    items: list[ReportEntryOut]


class RowErrorOut(BaseModel):
    row: int
    column: str | None
    message: str | None


class ErrorPage(Page):
    items: list[RowErrorOut]


@router.post(
    "",
    status_code=202,
    response_model=ImportOut,
    summary="Import designations from a CSV or XLSX file (runs in the background)",
    responses=problems(413, 503),
)
async def start_import(
    principal: InitiatorRole,
    wired: Wired,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX; see docs/initiator.md")],
    memorandum_code: Annotated[
        str | None,
        Form(max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$", description="default for rows"),
    ] = None,
    list_type: Annotated[
        Literal["red", "black"] | None, Form(description="default for rows")
    ] = None,
) -> dict[str, Any]:
    return await imports.accept(
        wired.context,
        wired.imports,
        file.file,
        file.filename,
        principal.department_code,
        principal.client_id,
        memorandum_code,
        list_type,
    )


async def _readable(context: Context, principal: Reader, import_id: uuid.UUID) -> Any:
    async with context.unit_of_work() as uow:
        row = await imports_repo.get(uow.session, import_id)
    if row is None:
        raise Problem(404, f"no import {import_id}")
    require_reader_of(principal, row.department)
    return row


@router.get("", response_model=ImportPage, summary="Imports of this department")
async def list_imports(
    principal: Reader, context: Context, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    department = None if sees_everything(principal) else principal.department_code
    async with context.unit_of_work() as uow:
        rows = await imports_repo.listing(uow.session, department, limit, offset)
    return {
        "items": [imports.import_view(row._mapping) for row in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset(len(rows), limit, offset),
    }


@router.get(
    "/{import_id}",
    response_model=ImportOut,
    summary="Progress and counts of an import",
    responses=problems(404),
)
async def get_import(import_id: uuid.UUID, principal: Reader, context: Context) -> dict[str, Any]:
    row = await _readable(context, principal, import_id)
    return imports.import_view(row._mapping)


async def _report(
    context: Context,
    principal: Reader,
    import_id: uuid.UUID,
    outcome: Outcome | None,
    limit: int,
    offset: int,
) -> list[Any]:
    await _readable(context, principal, import_id)
    async with context.unit_of_work() as uow:
        return await imports_repo.report(uow.session, import_id, outcome, limit, offset)


@router.get(
    "/{import_id}/errors",
    response_model=ErrorPage,
    summary="The rows that were not imported: row, column, message",
    responses=problems(404),
)
async def import_errors(
    import_id: uuid.UUID,
    principal: Reader,
    context: Context,
    limit: Limit = 500,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = await _report(context, principal, import_id, "error", limit, offset)
    return {
        "items": [{"row": r.row, "column": r.column, "message": r.message} for r in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset(len(rows), limit, offset),
    }


@router.get(
    "/{import_id}/rows",
    response_model=ReportPage,
    summary="The per-row report: created, already_present (with the existing id) or error",
    responses=problems(404),
)
async def import_rows(
    import_id: uuid.UUID,
    principal: Reader,
    context: Context,
    outcome: Outcome | None = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = await _report(context, principal, import_id, outcome, limit, offset)
    return {
        "items": [dict(r._mapping) for r in rows],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset(len(rows), limit, offset),
    }
