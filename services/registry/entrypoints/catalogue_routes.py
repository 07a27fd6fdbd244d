"""Public reads of the catalogue as a whole (联合奖惩目录清单 is a published document): the
current version, any version, what changed, and the lists as files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.registry.adapters import catalogue_store as store
from services.registry.domain.versions import change_counts, changes_between
from services.registry.entrypoints.dependencies import RegistryDep, catalogue_at
from services.registry.entrypoints.params import AtVersion, CodeQuery, Limit, Offset, VersionNumber
from services.registry.entrypoints.schemas import (
    CatalogueDiff,
    CatalogueDocument,
    ChangeCounts,
    Page,
    VersionChanges,
    VersionSummary,
)
from services.registry.handlers.catalogue import stored_changes
from services.registry.handlers.errors import NotFound
from services.registry.handlers.imports import Sheet, export_sheet
from shared.tabular import TabularFormat
from shared.web.responses import problem_responses

router = APIRouter(
    responses=problem_responses(
        described={404: "no catalogue version of that number (or none yet)"}
    )
)


@router.get(
    "/v1/catalogue",
    response_model=CatalogueDocument,
    tags=["catalogue"],
    summary="The current published catalogue as one document",
)
async def current_catalogue(registry: RegistryDep) -> CatalogueDocument:
    return CatalogueDocument.of(await catalogue_at(registry, None))


def _summary(row: store.VersionRow) -> VersionSummary:
    return VersionSummary(
        version=row.version,
        published_at=row.published_at,
        published_by=row.published_by,
        note=row.note,
        event_key=row.event_key,
        counts=ChangeCounts(**change_counts(stored_changes(row))),
    )


@router.get(
    "/v1/catalogue/versions",
    response_model=Page[VersionSummary],
    tags=["catalogue"],
    summary="Published catalogue versions, newest first",
)
async def list_versions(
    registry: RegistryDep, limit: Limit = 50, offset: Offset = 0
) -> Page[VersionSummary]:
    async with registry.runtime.sessions() as session:
        rows, total = await store.version_rows(session, limit=limit, offset=offset)
    return Page(items=[_summary(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/v1/catalogue/versions/{version}",
    response_model=CatalogueDocument,
    tags=["catalogue"],
    summary="The whole catalogue as it was published at one version",
)
async def catalogue_version(registry: RegistryDep, version: VersionNumber) -> CatalogueDocument:
    return CatalogueDocument.of(await catalogue_at(registry, version))


@router.get(
    "/v1/catalogue/versions/{version}/changes",
    response_model=VersionChanges,
    tags=["catalogue"],
    summary="What one version changed against the one before (its event's payload)",
)
async def version_changes(registry: RegistryDep, version: VersionNumber) -> VersionChanges:
    async with registry.runtime.sessions() as session:
        row = await store.version_row(session, version)
    if row is None:
        raise NotFound(f"no catalogue version {version}")
    return VersionChanges(**_summary(row).model_dump(), changes=list(stored_changes(row)))


@router.get(
    "/v1/catalogue/diff",
    response_model=CatalogueDiff,
    tags=["catalogue"],
    summary="Changes that turn version `from` into version `to`",
)
async def catalogue_diff(
    registry: RegistryDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=1_000_000)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=1_000_000)],
) -> CatalogueDiff:
    before = await catalogue_at(registry, from_version)
    after = await catalogue_at(registry, to_version)
    changes = changes_between(before.state, after.state)
    return CatalogueDiff(
        from_version=from_version,
        to_version=to_version,
        counts=ChangeCounts(**change_counts(changes)),
        changes=list(changes),
    )


@router.get(
    "/v1/catalogue/export/{sheet}",
    tags=["catalogue"],
    summary="The measures or departments as a CSV or XLSX file, one row each",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def export_catalogue(
    registry: RegistryDep,
    sheet: Sheet,
    file_format: Annotated[TabularFormat, Query(alias="format")] = TabularFormat.csv,
    version: AtVersion = None,
    memorandum: CodeQuery = None,
) -> Response:
    at = await catalogue_at(registry, version)
    content, media_type = export_sheet(at.state, sheet, file_format, memorandum)
    filename = f"{sheet.value}-v{at.version}.{file_format.value}"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
