"""Read queries: designation listings, the public lists (公示) and history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from services.initiator.adapters.tables import designations
from services.initiator.domain.lifecycle import EXIT_STATUSES

D = designations.c


@dataclass(frozen=True)
class DesignationFilter:
    department: str | None = None
    status: str | None = None
    list_type: str | None = None
    memorandum_code: str | None = None
    subject_id: str | None = None
    publication_late: bool | None = None
    import_id: Any = None


def designation_listing(where: DesignationFilter, limit: int, offset: int) -> Select[Any]:
    statement = select(designations)
    for column, value in (
        (D.initiating_department, where.department),
        (D.status, where.status),
        (D.list_type, where.list_type),
        (D.memorandum_code, where.memorandum_code),
        (D.subject_id, where.subject_id),
        (D.publication_late, where.publication_late),
        (D.import_id, where.import_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return statement.order_by(D.created_at.desc(), D.id).limit(limit).offset(offset)


def public_list(
    list_type: str, memorandum_code: str | None, department: str | None, limit: int, offset: int
) -> Select[Any]:
    """The current red or black list: active designations, newest first."""
    statement = select(designations).where(D.list_type == list_type, D.status == "active")
    if memorandum_code is not None:
        statement = statement.where(D.memorandum_code == memorandum_code)
    if department is not None:
        statement = statement.where(D.initiating_department == department)
    return statement.order_by(D.created_at.desc(), D.id).limit(limit).offset(offset)


def public_exits(list_type: str | None, limit: int, offset: int) -> Select[Any]:
    """Designations that left their list (退出), most recent exit first."""
    statement = select(designations).where(
        D.exited_at.is_not(None), D.status.in_([s.value for s in EXIT_STATUSES])
    )
    if list_type is not None:
        statement = statement.where(D.list_type == list_type)
    return statement.order_by(D.exited_at.desc(), D.id).limit(limit).offset(offset)
