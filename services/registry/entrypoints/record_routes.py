"""Public reads of departments, memoranda and measures, filtered and paginated."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.adapters import catalogue_store as store
from services.registry.domain.records import (
    Binding,
    Category,
    DepartmentKind,
    DepartmentRecord,
    Level,
    MeasureRecord,
    MemorandumRecord,
    Scenario,
)
from services.registry.entrypoints.dependencies import RegistryDep, catalogue_at
from services.registry.entrypoints.params import (
    AtVersion,
    CodePath,
    CodeQuery,
    Limit,
    Offset,
    Search,
)
from services.registry.entrypoints.schemas import CataloguePage, HistoryEntry, MemorandumDetail
from services.registry.handlers.catalogue import stored_changes
from services.registry.handlers.errors import NotFound
from services.registry.handlers.queries import (
    DepartmentFilter,
    MeasureFilter,
    MemorandumFilter,
    page,
)
from shared.catalogue import SubjectType
from shared.events.designations import ListType
from shared.web.responses import problem_responses

router = APIRouter(
    responses=problem_responses(
        described={404: "no such record in that catalogue version, or no such version"}
    )
)


@router.get(
    "/v1/departments",
    response_model=CataloguePage[DepartmentRecord],
    tags=["departments"],
    summary="Departments, filtered and paginated",
)
async def list_departments(
    registry: RegistryDep,
    level: Level | None = None,
    kind: DepartmentKind | None = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    active: bool | None = None,
    q: Search = None,
    version: AtVersion = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CataloguePage[DepartmentRecord]:
    at = await catalogue_at(registry, version)
    matches = DepartmentFilter(level, kind, region, active, q)
    items, total = page(filter(matches, at.state.departments.values()), limit, offset)
    return CataloguePage(items=items, total=total, limit=limit, offset=offset, version=at.version)


@router.get(
    "/v1/departments/{code}",
    response_model=DepartmentRecord,
    tags=["departments"],
    summary="One department",
)
async def get_department(
    registry: RegistryDep, code: CodePath, version: AtVersion = None
) -> DepartmentRecord:
    at = await catalogue_at(registry, version)
    found = at.state.departments.get(code)
    if found is None:
        raise NotFound(f"no department {code!r} in catalogue version {at.version}")
    return found


@router.get(
    "/v1/memoranda",
    response_model=CataloguePage[MemorandumRecord],
    tags=["memoranda"],
    summary="Published memoranda (合作备忘录), filtered and paginated",
)
async def list_memoranda(
    registry: RegistryDep,
    list_type: ListType | None = None,
    designating_department: CodeQuery = None,
    signatory_department: CodeQuery = None,
    subject_type: SubjectType | None = None,
    applies_to_all: bool | None = None,
    q: Search = None,
    version: AtVersion = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CataloguePage[MemorandumRecord]:
    at = await catalogue_at(registry, version)
    matches = MemorandumFilter(
        list_type, designating_department, signatory_department, subject_type, applies_to_all, q
    )
    items, total = page(filter(matches, at.state.memoranda.values()), limit, offset)
    return CataloguePage(items=items, total=total, limit=limit, offset=offset, version=at.version)


@router.get(
    "/v1/memoranda/{code}",
    response_model=MemorandumDetail,
    tags=["memoranda"],
    summary="One published memorandum with its measures",
)
async def get_memorandum(
    registry: RegistryDep, code: CodePath, version: AtVersion = None
) -> MemorandumDetail:
    at = await catalogue_at(registry, version)
    found = at.state.memoranda.get(code)
    if found is None:
        raise NotFound(f"no memorandum {code!r} in catalogue version {at.version}")
    async with registry.runtime.sessions() as session:
        draft_open = await store.draft(session, code) is not None
    return MemorandumDetail(
        version=at.version,
        draft_open=draft_open,
        memorandum=found,
        measures=at.state.measures_of(code),
    )


@router.get(
    "/v1/memoranda/{code}/history",
    response_model=list[HistoryEntry],
    tags=["memoranda"],
    summary="The catalogue versions that changed this memorandum or its measures",
)
async def memorandum_history(registry: RegistryDep, code: CodePath) -> list[HistoryEntry]:
    async with registry.runtime.sessions() as session:
        rows, _ = await store.version_rows(session, newest_first=False)
    history = []
    for row in rows:
        changes = [
            c
            for c in stored_changes(row)
            if (c.entity == "memorandum" and c.code == code)
            or (c.entity == "measure" and c.memorandum_code == code)
        ]
        if changes:
            history.append(
                HistoryEntry(
                    version=row.version,
                    published_at=row.published_at,
                    published_by=row.published_by,
                    note=row.note,
                    changes=changes,
                )
            )
    if not history:
        raise NotFound(f"memorandum {code!r} was never published")
    return history


@router.get(
    "/v1/measures",
    response_model=CataloguePage[MeasureRecord],
    tags=["measures"],
    summary="Measures (目录清单 entries), filtered and paginated",
)
async def list_measures(
    registry: RegistryDep,
    memorandum: CodeQuery = None,
    list_type: ListType | None = None,
    department: Annotated[
        str | None, Query(max_length=64, description="an implementing department")
    ] = None,
    administrative_unit: CodeQuery = None,
    category: Category | None = None,
    binding: Binding | None = None,
    subject_type: SubjectType | None = None,
    scenario: Scenario | None = None,
    seed: Annotated[str | None, Query(max_length=10, description="source seed, e.g. 001")] = None,
    q: Search = None,
    version: AtVersion = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CataloguePage[MeasureRecord]:
    at = await catalogue_at(registry, version)
    matches = MeasureFilter(
        memorandum,
        list_type,
        department,
        administrative_unit,
        category,
        binding,
        subject_type,
        scenario,
        seed,
        q,
    ).matcher(at.state)
    items, total = page(filter(matches, at.state.measures.values()), limit, offset)
    return CataloguePage(items=items, total=total, limit=limit, offset=offset, version=at.version)


@router.get(
    "/v1/measures/{code}",
    response_model=MeasureRecord,
    tags=["measures"],
    summary="One measure",
)
async def get_measure(
    registry: RegistryDep, code: CodePath, version: AtVersion = None
) -> MeasureRecord:
    at = await catalogue_at(registry, version)
    found = at.state.measures.get(code)
    if found is None:
        raise NotFound(f"no measure {code!r} in catalogue version {at.version}")
    return found
