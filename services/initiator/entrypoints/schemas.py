"""Request bodies of the initiator's API, validated at the edge (422 problem+json otherwise)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from services.initiator.domain import fields
from services.initiator.domain.dates import aware
from services.initiator.domain.designation import NewDesignation
from services.initiator.handlers.views import DesignationOut, ObjectionOut, RepairOut
from shared.events.designations import DesignationSubject, ResponsiblePerson
from shared.identifiers import (
    IdentifierError,
    normalise,
    validate_credit_code,
    validate_resident_id,
)


def _text(max_length: int) -> Any:
    return AfterValidator(lambda value: fields.clean_text(value, max_length))


def _text_field(max_length: int, **field: Any) -> Any:
    """Up to twice `max_length` characters, of which at most `max_length` once trimmed, not
    blank and without control characters: what `fields.clean_text` enforces, as a pattern."""
    return Field(
        min_length=1,
        max_length=max_length * 2,
        json_schema_extra={"pattern": fields.clean_text_pattern(max_length)},
        **field,
    )


Name = Annotated[str, _text_field(fields.NAME_MAX), _text(fields.NAME_MAX)]
LongText = Annotated[str, _text_field(fields.TEXT_MAX), _text(fields.TEXT_MAX)]
EvidenceItem = Annotated[
    str, _text_field(fields.EVIDENCE_ITEM_MAX), _text(fields.EVIDENCE_ITEM_MAX)
]
Evidence = Annotated[list[EvidenceItem], Field(max_length=fields.EVIDENCE_MAX_ITEMS)]
Contact = Annotated[str, _text_field(fields.CONTACT_MAX), _text(fields.CONTACT_MAX)]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class SubjectIn(_Body):
    kind: Literal["organisation", "person"]
    id: str = Field(
        max_length=64,
        description="统一社会信用代码 (organisation) or 居民身份证号码 (person); checked and normalised",
        examples=["91350100M000100Y43"],
    )
    name: Name

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return fields.subject_id(kind, value) if kind else value


class PersonIn(_Body):
    role: Literal["legal_representative", "principal", "directly_responsible"]
    id: str = Field(max_length=64, description="居民身份证号码")
    name: Name

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return fields.person_id(value)


class DesignationIn(_Body):
    """A designation (认定). The initiating department is the token's, never the body's."""

    subject: SubjectIn
    list_type: Literal["red", "black"] = Field(description="红名单 (red) or 黑名单 (black)")
    memorandum_code: Code = Field(description="the memorandum (合作备忘录) it falls under")
    reason: LongText = Field(description="实施事由")
    legal_basis: LongText = Field(description="法律依据")
    document_number: str = _text_field(
        fields.DOCUMENT_NUMBER_MAX, description="认定文书文号 / 法律文书编号"
    )
    evidence: Evidence = Field(default_factory=list, description="references to 证据材料")
    decided_at: datetime = Field(description="认定日期; a time without offset is Asia/Shanghai")
    period_start: date = Field(description="first day the measures apply")
    period_end: date | None = Field(description="last day (惩戒期限 / validity); null: no end")
    responsible_persons: list[PersonIn] = Field(
        default_factory=list,
        max_length=50,
        description="an organisation's 法定代表人, 主要负责人, 直接责任人 (落实到人)",
    )

    @field_validator("document_number")
    @classmethod
    def _document_number(cls, value: str) -> str:
        return fields.document_number(value)

    @field_validator("decided_at")
    @classmethod
    def _decided_at(cls, value: datetime) -> datetime:
        return fields.check_decided_at(aware(value), datetime.now(UTC))

    @field_validator("period_start")
    @classmethod
    def _period_start(cls, value: date) -> date:
        return fields.check_day(value, "period_start")

    @field_validator("period_end")
    @classmethod
    def _period_end(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            return None
        fields.check_day(value, "period_end")
        start = info.data.get("period_start")
        if start is not None:
            fields.check_period(start, value)
        return value

    @field_validator("responsible_persons")
    @classmethod
    def _persons(cls, value: list[PersonIn], info: ValidationInfo) -> list[PersonIn]:
        subject = info.data.get("subject")
        if value and subject is not None and subject.kind == "person":
            raise ValueError("responsible persons are named only for organisations")
        return value

    def draft(self, department: str) -> NewDesignation:
        return NewDesignation(
            initiating_department=department,
            subject=DesignationSubject(
                kind=self.subject.kind, id=self.subject.id, name=self.subject.name
            ),
            list_type=self.list_type,
            memorandum_code=self.memorandum_code,
            reason=self.reason,
            legal_basis=self.legal_basis,
            document_number=self.document_number,
            evidence=tuple(self.evidence),
            decided_at=self.decided_at,
            period_start=self.period_start,
            period_end=self.period_end,
            responsible_persons=tuple(
                ResponsiblePerson(role=p.role, id=p.id, name=p.name)
                for p in self.responsible_persons
            ),
        )


def _any_subject_id(value: str) -> str:
    try:
        return validate_credit_code(value)
    except IdentifierError:
        pass
    try:
        return validate_resident_id(value)
    except IdentifierError:
        raise ValueError(
            f"{normalise(value)[:40]!r} is neither a valid 统一社会信用代码 nor 居民身份证号码"
        ) from None


AnySubjectId = Annotated[str, Field(max_length=64), AfterValidator(_any_subject_id)]


class ObjectionIn(_Body):
    grounds: LongText = Field(description="why the information is wrong (异议理由)")
    evidence: Evidence = Field(default_factory=list)
    contact: Contact | None = None


class PublicObjectionIn(ObjectionIn):
    """An objection by the designated subject itself."""

    designation_id: uuid.UUID
    subject_id: AnySubjectId = Field(description="the subject's own identifier, as designated")


class ObjectionDecisionIn(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "properties": {
                        "outcome": {"const": "upheld"},
                        "resolution": {"enum": ["corrected", "revoked"]},
                    },
                    "required": ["resolution"],
                },
                {
                    "properties": {
                        "outcome": {"const": "rejected"},
                        "resolution": {"type": "null"},
                    }
                },
            ]
        }
    )

    outcome: Literal["upheld", "rejected"]
    resolution: Literal["corrected", "revoked"] | None = Field(
        None, description="required when upheld: 更正 (corrected) or 撤销 (revoked)"
    )
    note: LongText | None = None

    @model_validator(mode="after")
    def _resolution(self) -> Self:
        if self.outcome == "upheld" and self.resolution is None:
            raise ValueError("an upheld objection needs its resolution: corrected or revoked")
        if self.outcome == "rejected" and self.resolution is not None:
            raise ValueError("a rejected objection has no resolution")
        return self


class RepairIn(_Body):
    statement: LongText = Field(description="how the behaviour was corrected (信用修复申请)")
    evidence: Evidence = Field(default_factory=list)
    contact: Contact | None = None


class PublicRepairIn(RepairIn):
    designation_id: uuid.UUID
    subject_id: AnySubjectId


class RepairDecisionIn(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {"approved": {"const": True}}},
                {
                    "properties": {"approved": {"const": False}, "reason": {"type": "string"}},
                    "required": ["reason"],
                },
            ]
        }
    )

    approved: bool
    reason: LongText | None = Field(None, description="required when the repair is rejected")


class RevocationIn(_Body):
    reason: LongText


class ExtensionIn(_Body):
    period_end: date
    reason: LongText

    @field_validator("period_end")
    @classmethod
    def _period_end(cls, value: date) -> date:
        return fields.check_day(value, "period_end")


class RepublishIn(_Body):
    """Exactly one of: `designation_ids`, `department_code`, `all: true`."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "properties": {
                        "designation_ids": {"type": "array"},
                        "department_code": {"type": "null"},
                        "all": {"const": False},
                    },
                    "required": ["designation_ids"],
                },
                {
                    "properties": {
                        "designation_ids": {"type": "null"},
                        "department_code": {"type": "string"},
                        "all": {"const": False},
                    },
                    "required": ["department_code"],
                },
                {
                    "properties": {
                        "designation_ids": {"type": "null"},
                        "department_code": {"type": "null"},
                        "all": {"const": True},
                    },
                    "required": ["all"],
                },
            ]
        }
    )

    designation_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=10_000)
    department_code: Code | None = None
    all: StrictBool = False
    reason: Literal["overdue_receipt", "broker_data_loss", "operator"] = "operator"

    @model_validator(mode="after")
    def _one_scope(self) -> Self:
        given = [self.designation_ids is not None, self.department_code is not None, self.all]
        if sum(given) != 1:
            raise ValueError("give exactly one of designation_ids, department_code or all: true")
        return self


class Page(BaseModel):
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")


class DesignationPage(Page):
    items: list[DesignationOut]


class ObjectionWithDesignationOut(ObjectionOut):
    designation: DesignationOut


class RepairWithDesignationOut(RepairOut):
    designation: DesignationOut


class ObjectionPage(Page):
    items: list[ObjectionOut]


class RepairPage(Page):
    items: list[RepairOut]
