"""Catalogue writes, all by the platform administrator: each publishes a new version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from services.registry.adapters import credential_store
from services.registry.domain.drafts import DraftContent
from services.registry.domain.records import DepartmentRecord
from services.registry.domain.spreadsheet import ImportMode
from services.registry.entrypoints.dependencies import PlatformAdmin, RegistryDep
from services.registry.entrypoints.params import CodePath, Limit, Offset
from services.registry.entrypoints.schemas import (
    DepartmentChanges,
    DraftIn,
    DraftOut,
    ImportOut,
    Page,
    PublicationOut,
    PublishDraftIn,
)
from services.registry.handlers import drafts, editing
from services.registry.handlers.catalogue import Edit, publish
from services.registry.handlers.imports import Sheet, import_sheet
from shared.audit.entries import Actor
from shared.web.problems import Problem
from shared.web.responses import problem_responses

router = APIRouter(
    responses=problem_responses(
        404,
        409,
        described={404: "no such department, memorandum, draft or catalogue version"},
    )
)


async def _publish(registry: RegistryDep, admin: PlatformAdmin, edit: Edit) -> PublicationOut:
    async with registry.runtime.unit_of_work() as uow:
        publication = await publish(
            uow, registry.catalogue, registry.catalogue_topic, edit, by=Actor.of(admin)
        )
        await uow.commit()
    return PublicationOut.of(publication)


@router.post(
    "/v1/departments",
    response_model=PublicationOut,
    status_code=status.HTTP_201_CREATED,
    tags=["departments"],
    summary="Add a department (publishes a new catalogue version)",
)
async def add_department(
    registry: RegistryDep, admin: PlatformAdmin, department: DepartmentRecord
) -> PublicationOut:
    return await _publish(registry, admin, editing.add_department(department))


@router.patch(
    "/v1/departments/{code}",
    response_model=PublicationOut,
    tags=["departments"],
    summary='Change a department, e.g. `{"active": false}` (publishes a new version)',
)
async def change_department(
    registry: RegistryDep, admin: PlatformAdmin, code: CodePath, changes: DepartmentChanges
) -> PublicationOut:
    values = changes.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    return await _publish(registry, admin, editing.change_department(code, values))


@router.delete(
    "/v1/departments/{code}",
    response_model=PublicationOut,
    tags=["departments"],
    summary="Remove a department no memorandum, measure or client refers to",
)
async def remove_department(
    registry: RegistryDep, admin: PlatformAdmin, code: CodePath
) -> PublicationOut:
    async with registry.runtime.sessions() as session:
        clients = await credential_store.active_client_count(session, code)
    return await _publish(registry, admin, editing.remove_department(code, clients))


@router.delete(
    "/v1/memoranda/{code}",
    response_model=PublicationOut,
    tags=["memoranda"],
    summary="Withdraw a memorandum and its measures (publishes a new version)",
)
async def remove_memorandum(
    registry: RegistryDep, admin: PlatformAdmin, code: CodePath
) -> PublicationOut:
    return await _publish(registry, admin, editing.remove_memorandum(code))


@router.get(
    "/v1/memorandum-drafts",
    response_model=Page[DraftOut],
    tags=["memoranda"],
    summary="Open memorandum drafts",
)
async def list_drafts(
    registry: RegistryDep, admin: PlatformAdmin, limit: Limit = 50, offset: Offset = 0
) -> Page[DraftOut]:
    async with registry.runtime.sessions() as session:
        views, total = await drafts.list_open(session, registry.catalogue, limit, offset)
    return Page(items=[DraftOut.of(v) for v in views], total=total, limit=limit, offset=offset)


@router.post(
    "/v1/memorandum-drafts",
    response_model=DraftOut,
    status_code=status.HTTP_201_CREATED,
    tags=["memoranda"],
    summary="Draft a new memorandum with its measures",
)
async def new_draft(registry: RegistryDep, admin: PlatformAdmin, body: DraftIn) -> DraftOut:
    content = DraftContent(memorandum=body.memorandum, measures=tuple(body.measures))
    async with registry.runtime.unit_of_work() as uow:
        view = await drafts.open_new(uow, registry.catalogue, content, Actor.of(admin))
    return DraftOut.of(view)


@router.post(
    "/v1/memoranda/{code}/draft",
    response_model=DraftOut,
    status_code=status.HTTP_201_CREATED,
    tags=["memoranda"],
    summary="Open a draft of a published (locked) memorandum to change it",
)
async def draft_of_published(
    registry: RegistryDep, admin: PlatformAdmin, code: CodePath
) -> DraftOut:
    async with registry.runtime.unit_of_work() as uow:
        view = await drafts.open_from_published(uow, registry.catalogue, code, Actor.of(admin))
    return DraftOut.of(view)


@router.get(
    "/v1/memorandum-drafts/{code}",
    response_model=DraftOut,
    tags=["memoranda"],
    summary="One draft, with what must be fixed before publishing it",
)
async def get_draft(registry: RegistryDep, admin: PlatformAdmin, code: CodePath) -> DraftOut:
    async with registry.runtime.sessions() as session:
        return DraftOut.of(await drafts.get(session, registry.catalogue, code))


@router.put(
    "/v1/memorandum-drafts/{code}",
    response_model=DraftOut,
    tags=["memoranda"],
    summary="Replace a draft's memorandum and measures",
)
async def replace_draft(
    registry: RegistryDep, admin: PlatformAdmin, code: CodePath, body: DraftIn
) -> DraftOut:
    content = DraftContent(memorandum=body.memorandum, measures=tuple(body.measures))
    async with registry.runtime.unit_of_work() as uow:
        view = await drafts.replace(uow, registry.catalogue, code, content, Actor.of(admin))
    return DraftOut.of(view)


@router.delete(
    "/v1/memorandum-drafts/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["memoranda"],
    summary="Discard a draft",
)
async def discard_draft(registry: RegistryDep, admin: PlatformAdmin, code: CodePath) -> Response:
    async with registry.runtime.unit_of_work() as uow:
        await drafts.discard(uow, code, Actor.of(admin))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/memorandum-drafts/{code}/publish",
    response_model=PublicationOut,
    tags=["memoranda"],
    summary="Publish a draft as the next catalogue version; the memorandum is locked again",
)
async def publish_draft(
    registry: RegistryDep,
    admin: PlatformAdmin,
    code: CodePath,
    body: PublishDraftIn | None = None,
) -> PublicationOut:
    async with registry.runtime.unit_of_work() as uow:
        publication = await drafts.publish_draft(
            uow,
            registry.catalogue,
            registry.catalogue_topic,
            code,
            by=Actor.of(admin),
            note=body.note if body else "",
        )
    return PublicationOut.of(publication)


@router.post(
    "/v1/catalogue/import/{sheet}",
    response_model=ImportOut,
    tags=["catalogue"],
    summary="Import measures or departments from CSV or XLSX: all rows or none",
    description=(
        "Every row is validated against the latest catalogue. Any error rejects the whole file "
        "(422 with `errors[{row, column, message}]`); otherwise the result is published as one "
        "new catalogue version (none when nothing changed). `dry_run` validates and shows the "
        "changes without publishing. `mode=replace` also removes the measures of the memoranda "
        "the file names that it does not list."
    ),
)
async def import_catalogue(
    registry: RegistryDep,
    admin: PlatformAdmin,
    sheet: Sheet,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX with Chinese headers")],
    mode: Annotated[ImportMode, Query()] = ImportMode.merge,
    dry_run: bool = False,
) -> ImportOut:
    limit = registry.settings.import_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise Problem(413, f"the file is larger than {limit} bytes")
    async with registry.runtime.unit_of_work() as uow:
        outcome = await import_sheet(
            uow,
            registry.catalogue,
            registry.catalogue_topic,
            sheet,
            content,
            file.filename,
            by=Actor.of(admin),
            mode=mode,
            dry_run=dry_run,
        )
    published = PublicationOut.of(outcome.publication)
    return ImportOut(**published.model_dump(), rows=outcome.rows, dry_run=outcome.dry_run)
