"""Dependencies of the registry's routes: the wiring, and who may write."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.registry.bootstrap import Registry
from services.registry.domain.access import is_platform_admin
from services.registry.handlers.catalogue import CatalogueAt
from services.registry.handlers.credentials import live_client
from services.registry.handlers.errors import NotFound
from shared.auth.dependencies import require_roles
from shared.auth.principal import Principal, Role
from shared.web.problems import Problem


def _registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(_registry)]


async def _live_admin(
    registry: RegistryDep, principal: Annotated[Principal, Depends(require_roles(Role.admin))]
) -> Principal:
    """An admin whose client still exists: a deleted client's tokens stop working here at once."""
    async with registry.runtime.sessions() as session:
        try:
            await live_client(session, principal.client_id)
        except NotFound as error:
            raise Problem(
                401,
                "the client of this token was deleted",
                title="Unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="jointcredit"'},
            ) from error
    return principal


DepartmentAdmin = Annotated[Principal, Depends(_live_admin)]


async def _platform_admin(registry: RegistryDep, principal: DepartmentAdmin) -> Principal:
    department = registry.settings.platform_admin_department
    if not is_platform_admin(principal, department):
        raise Problem(
            403,
            f"only the platform administrator (an admin client of department {department!r}) "
            f"may do this; this token belongs to department {principal.department_code!r}",
            title="Forbidden",
        )
    return principal


PlatformAdmin = Annotated[Principal, Depends(_platform_admin)]


async def catalogue_at(registry: Registry, version: int | None) -> CatalogueAt:
    async with registry.runtime.sessions() as session:
        found = (
            await registry.catalogue.current(session)
            if version is None
            else await registry.catalogue.at(session, version)
        )
    if found is None:
        raise NotFound(
            "no catalogue has been published yet (load it with `jointcredit seed`)"
            if version is None
            else f"no catalogue version {version}"
        )
    return found
