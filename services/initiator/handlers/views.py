"""What the API answers: JSON-ready views of the initiator's records."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.initiator.domain.publication import public_persons, public_subject
from shared.events.designations import DesignationStatus, ListType


class SubjectOut(BaseModel):
    kind: Literal["organisation", "person"]
    id: str = Field(description="统一社会信用代码 or 居民身份证号码 (masked in public lists)")
    name: str


class PersonOut(BaseModel):
    role: Literal["legal_representative", "principal", "directly_responsible"]
    id: str
    name: str


class DesignationOut(BaseModel):
    id: uuid.UUID
    version: int
    status: DesignationStatus
    list_type: ListType
    memorandum_code: str
    subject: SubjectOut
    responsible_persons: list[PersonOut]
    reason: str
    legal_basis: str
    document_number: str
    evidence: list[str]
    decided_at: datetime
    period_start: date
    period_end: date | None
    initiating_department: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime = Field(description="when it appeared in the public list (公示)")
    publication_due: date = Field(description="7 working days after the decision (公示期限)")
    publication_due_provisional: bool = Field(
        description="the due date lies in a year the official calendar does not cover yet"
    )
    publication_late: bool = Field(description="published after publication_due")
    exited_at: datetime | None = Field(description="when it left the list (退出), if it did")
    import_id: uuid.UUID | None = None


def designation_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return DesignationOut(
        id=row["id"],
        version=row["version"],
        status=row["status"],
        list_type=row["list_type"],
        memorandum_code=row["memorandum_code"],
        subject=SubjectOut(
            kind=row["subject_kind"], id=row["subject_id"], name=row["subject_name"]
        ),
        responsible_persons=[PersonOut.model_validate(p) for p in row["responsible_persons"]],
        reason=row["reason"],
        legal_basis=row["legal_basis"],
        document_number=row["document_number"],
        evidence=list(row["evidence"]),
        decided_at=row["decided_at"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        initiating_department=row["initiating_department"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        published_at=row["created_at"],
        publication_due=row["publication_due"],
        publication_due_provisional=row["publication_due_provisional"],
        publication_late=row["publication_late"],
        exited_at=row["exited_at"],
        import_id=row["import_id"],
    ).model_dump(mode="json")


class HistoryEntryOut(BaseModel):
    version: int
    action: str
    status: DesignationStatus
    period_end: date | None
    event_type: str
    event_id: uuid.UUID
    at: datetime
    actor_kind: str
    actor_department: str | None
    actor_client: str | None
    note: str | None


def history_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return HistoryEntryOut.model_validate(dict(row)).model_dump(mode="json")


class ObjectionOut(BaseModel):
    id: uuid.UUID
    designation_id: uuid.UUID
    filed_by_kind: Literal["subject", "department"]
    filed_by_department: str | None
    grounds: str
    evidence: list[str]
    filed_at: datetime
    answer_due: date = Field(description="the initiating department answers by this day")
    answer_due_provisional: bool
    overdue: bool = Field(description="still pending after answer_due")
    status: Literal["pending", "upheld", "rejected"]
    resolution: Literal["corrected", "revoked"] | None
    note: str | None
    decided_at: datetime | None


class RepairOut(BaseModel):
    id: uuid.UUID
    designation_id: uuid.UUID
    filed_by_kind: Literal["subject", "department"]
    filed_by_department: str | None
    statement: str
    evidence: list[str]
    filed_at: datetime
    answer_due: date
    answer_due_provisional: bool
    overdue: bool
    status: Literal["pending", "approved", "rejected"]
    reason: str | None
    decided_at: datetime | None


def application_view(
    model: type[ObjectionOut] | type[RepairOut], row: Mapping[Any, Any], today: date
) -> dict[str, Any]:
    values = {name: row[name] for name in model.model_fields if name in row}
    values["overdue"] = row["status"] == "pending" and today > row["answer_due"]
    return model.model_validate(values).model_dump(mode="json")


class PublicEntryOut(BaseModel):
    """One line of a public list (公示): persons' names and ID numbers masked."""

    id: uuid.UUID
    version: int
    list_type: ListType
    status: DesignationStatus
    memorandum_code: str
    subject: SubjectOut
    responsible_persons: list[PersonOut]
    reason: str
    legal_basis: str
    document_number: str
    decided_at: datetime
    period_start: date
    period_end: date | None
    initiating_department: str
    published_at: datetime
    publication_due: date
    publication_late: bool
    exited_at: datetime | None


def public_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return PublicEntryOut(
        id=row["id"],
        version=row["version"],
        list_type=row["list_type"],
        status=row["status"],
        memorandum_code=row["memorandum_code"],
        subject=SubjectOut.model_validate(
            public_subject(row["subject_kind"], row["subject_id"], row["subject_name"])
        ),
        responsible_persons=[
            PersonOut.model_validate(p) for p in public_persons(row["responsible_persons"])
        ],
        reason=row["reason"],
        legal_basis=row["legal_basis"],
        document_number=row["document_number"],
        decided_at=row["decided_at"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        initiating_department=row["initiating_department"],
        published_at=row["created_at"],
        publication_due=row["publication_due"],
        publication_late=row["publication_late"],
        exited_at=row["exited_at"],
    ).model_dump(mode="json")
