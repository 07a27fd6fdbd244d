"""API clients of the departments: issued, listed and deleted by admins (see the admin rule
in `domain/access.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import JSONResponse

from services.registry.adapters import credential_store as store
from services.registry.domain.access import is_platform_admin, may_manage_clients_of
from services.registry.domain.client_secrets import CLIENT_ID_PATTERN
from services.registry.entrypoints.dependencies import DepartmentAdmin, RegistryDep
from services.registry.entrypoints.params import Limit, Offset
from services.registry.entrypoints.schemas import ClientIn, ClientOut, IssuedClientOut, Page
from services.registry.entrypoints.token_routes import NO_STORE
from services.registry.handlers import credentials
from shared.audit.entries import Actor
from shared.auth.principal import Principal, Role
from shared.web.problems import Problem
from shared.web.responses import problem_responses

router = APIRouter()


def _client_out(row: store.ClientRow) -> ClientOut:
    return ClientOut(
        client_id=row.client_id,
        department_code=row.department_code,
        roles=row.roles,
        name=row.name,
        created_at=row.created_at,
        created_by=row.created_by,
        deleted_at=row.deleted_at,
    )


def _require_manages(registry: RegistryDep, admin: Principal, department_code: str) -> None:
    platform = registry.settings.platform_admin_department
    if not may_manage_clients_of(admin, department_code, platform):
        raise Problem(
            403,
            f"this token belongs to department {admin.department_code!r}; it cannot manage the "
            f"clients of {department_code!r} (only its own, or all as the platform "
            f"administrator of {platform!r})",
            title="Wrong department",
        )


@router.post(
    "/v1/clients",
    response_model=IssuedClientOut,
    status_code=status.HTTP_201_CREATED,
    tags=["credentials"],
    summary="Issue an API client for a department; its secret is shown only here",
)
async def issue_client(
    registry: RegistryDep, admin: DepartmentAdmin, body: ClientIn
) -> JSONResponse:
    _require_manages(registry, admin, body.department_code)
    platform = registry.settings.platform_admin_department
    if Role.oversight in body.roles and not is_platform_admin(admin, platform):
        raise Problem(
            403,
            "only the platform administrator may grant the oversight role",
            title="Forbidden",
        )
    async with registry.runtime.unit_of_work() as uow:
        issued = await credentials.issue_client(
            uow,
            registry.catalogue,
            department_code=body.department_code,
            roles=body.roles,
            name=body.name,
            by=Actor.of(admin),
        )
    out = IssuedClientOut(
        client_id=issued.client_id,
        client_secret=issued.client_secret,
        department_code=issued.department_code,
        roles=issued.roles,
        name=issued.name,
    )
    return JSONResponse(out.model_dump(), status_code=201, headers=NO_STORE)


@router.get(
    "/v1/clients",
    response_model=Page[ClientOut],
    tags=["credentials"],
    summary="API clients: a department admin sees its own, the platform administrator all",
)
async def list_clients(
    registry: RegistryDep,
    admin: DepartmentAdmin,
    department: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[a-z][a-z0-9_]*$",
            description="only the clients of this department (its code)",
        ),
    ] = None,
    include_deleted: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ClientOut]:
    if not is_platform_admin(admin, registry.settings.platform_admin_department):
        department = department or admin.department_code
        _require_manages(registry, admin, department)
    async with registry.runtime.sessions() as session:
        rows, total = await store.clients(
            session,
            department_code=department,
            include_deleted=include_deleted,
            limit=limit,
            offset=offset,
        )
    return Page(items=[_client_out(r) for r in rows], total=total, limit=limit, offset=offset)


ClientId = Annotated[str, Path(max_length=64, pattern=CLIENT_ID_PATTERN)]


@router.get(
    "/v1/clients/{client_id}",
    response_model=ClientOut,
    tags=["credentials"],
    summary="One API client",
    responses=problem_responses(described={404: "no such client (or it was deleted)"}),
)
async def get_client(
    registry: RegistryDep, admin: DepartmentAdmin, client_id: ClientId
) -> ClientOut:
    async with registry.runtime.sessions() as session:
        row = await credentials.live_client(session, client_id)
    _require_manages(registry, admin, row.department_code)
    return _client_out(row)


@router.delete(
    "/v1/clients/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["credentials"],
    summary="Delete an API client: it obtains no more tokens",
    responses=problem_responses(described={404: "no such client (or it was deleted)"}),
)
async def delete_client(
    registry: RegistryDep, admin: DepartmentAdmin, client_id: ClientId
) -> Response:
    async with registry.runtime.unit_of_work() as uow:
        row = await credentials.live_client(uow.session, client_id)
        _require_manages(registry, admin, row.department_code)
        await credentials.delete_client(uow, row.client_id, Actor.of(admin))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
