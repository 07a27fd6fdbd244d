"""Edits of the published catalogue: departments and the removal of a memorandum.

Each returns an `Edit` for `catalogue.publish`, so the change is built on the latest version
under the catalogue lock.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.registry.domain.catalogue import (
    CatalogueInvalid,
    CatalogueState,
    catalogue_issues,
    validation_issues,
)
from services.registry.domain.records import DepartmentRecord
from services.registry.handlers.catalogue import Edit
from services.registry.handlers.errors import Conflict, NotFound


def checked(state: CatalogueState) -> CatalogueState:
    issues = catalogue_issues(state)
    if issues:
        raise CatalogueInvalid(issues)
    return state


def add_department(record: DepartmentRecord) -> Edit:
    def edit(state: CatalogueState) -> CatalogueState:
        if record.code in state.departments:
            raise Conflict(f"department {record.code!r} exists; change it with PATCH")
        return checked(state.with_department(record))

    return edit


def change_department(code: str, changes: dict[str, Any]) -> Edit:
    def edit(state: CatalogueState) -> CatalogueState:
        current = state.departments.get(code)
        if current is None:
            raise NotFound(f"no department {code!r} in the catalogue")
        try:
            updated = DepartmentRecord.model_validate({**current.as_value(), **changes})
        except ValidationError as error:
            raise CatalogueInvalid(validation_issues("department", code, error)) from error
        return checked(state.with_department(updated))

    return edit


def remove_department(code: str, active_clients: int) -> Edit:
    def edit(state: CatalogueState) -> CatalogueState:
        if code not in state.departments:
            raise NotFound(f"no department {code!r} in the catalogue")
        users = [
            f"memorandum {m.code}"
            for m in state.memoranda.values()
            if code in m.designating_departments or code in m.signatory_departments
        ] + [
            f"measure {m.code}"
            for m in state.measures.values()
            if code == m.administrative_unit or code in m.implementing_departments
        ]
        if active_clients:
            users.append(f"{active_clients} API client(s)")
        if users:
            shown = ", ".join(users[:10]) + (" …" if len(users) > 10 else "")
            raise Conflict(
                f"department {code!r} is still referenced by {shown}; "
                "deactivate it instead (PATCH active=false)"
            )
        return state.without_department(code)

    return edit


def remove_memorandum(code: str) -> Edit:
    def edit(state: CatalogueState) -> CatalogueState:
        if code not in state.memoranda:
            raise NotFound(f"no memorandum {code!r} in the catalogue")
        return state.without_memorandum(code)

    return edit
