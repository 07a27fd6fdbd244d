"""Request and response bodies of the responder API (the OpenAPI document shows them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from services.responder.domain.subjects import parse_subject_id
from shared.identifiers import IdentifierError

CODE_PATTERN = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=64)]

EXAMPLE_SUBJECT = "91350100M000100Y43"


def _subject_id(value: str) -> str:
    try:
        return parse_subject_id(value)[0]
    except IdentifierError as error:
        raise ValueError(error.reason) from None


def _printable(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("control characters are not allowed")
    return value


def _plausible_time(value: datetime) -> datetime:
    if not 1990 <= value.year <= 2100:
        raise ValueError("must lie between the years 1990 and 2100")
    return value


Text = Annotated[str, AfterValidator(_printable)]


def _yuan(value: float) -> float:
    if abs(round(value, 2) - value) > 1e-9:
        raise ValueError("at most 2 decimals (fen)")
    return value


SubjectId = Annotated[
    str,
    Field(
        max_length=64,
        description="统一社会信用代码 or 居民身份证号码 (normalised: upper case, half-width)",
        examples=[EXAMPLE_SUBJECT],
    ),
    AfterValidator(_subject_id),
]


class CheckedMeasure(BaseModel):
    """One measure of this department in force for the subject checked."""

    measure_code: str
    measure_title: str
    measure_memorandum_code: str = Field(description="the memorandum the measure belongs to")
    content: str = Field(description="措施内容")
    legal_basis: str = Field(description="法律及政策依据")
    binding: Literal["binding", "discretionary"] = Field(
        description="binding (应当/必须) or discretionary (可以/参考)"
    )
    category: str
    scenarios: list[str]
    designation_id: uuid.UUID
    designation_version: int
    memorandum_code: str = Field(description="the designation's memorandum (备忘录)")
    memorandum_title: str
    list_type: Literal["red", "black"]
    role: Literal["subject", "legal_representative", "principal", "directly_responsible"] = Field(
        description="`subject` when designated directly, else the role held in the organisation"
    )
    organisation_id: str | None = Field(
        description="the designated organisation when reached as its responsible person (落实到人)"
    )
    period_start: date
    period_end: date | None


class IndexFreshnessView(BaseModel):
    """How fresh the answering replica's check index is (every replica follows one feed)."""

    sequence: int = Field(description="the last change of the department's feed applied")
    changed_at: datetime | None = Field(
        description="when that change was committed (null: none since the index was loaded)"
    )
    caught_up_at: datetime | None = Field(
        description="when this replica last confirmed it held every change committed: an "
        "answer reflects every designation decided before this moment"
    )


class CheckAnswer(BaseModel):
    """This department's measures in force now for the subject; empty still means checked."""

    subject_id: str
    subject_kind: Literal["organisation", "person"]
    department_code: str
    checked_at: datetime
    as_of: date = Field(description="the Asia/Shanghai date the answer holds for")
    scenario: str | None
    in_force: bool
    measures: list[CheckedMeasure]
    index: IndexFreshnessView


class BatchCheckRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"subject_ids": [EXAMPLE_SUBJECT], "scenario": "government_procurement"}]
        },
    )

    subject_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1, max_length=1000, description="up to 1,000 ids (批量比对)"
    )
    scenario: Code | None = None


class BatchCheckResult(BaseModel):
    requested_id: str
    valid: bool
    error: str | None = Field(description="why the id is not a valid identifier")
    subject_id: str | None
    subject_kind: Literal["organisation", "person"] | None
    in_force: bool
    measures: list[CheckedMeasure]


class BatchCheckAnswer(BaseModel):
    department_code: str
    checked_at: datetime
    as_of: date
    scenario: str | None
    count: int
    in_force_count: int
    results: list[BatchCheckResult]
    index: IndexFreshnessView


class EnforcementRequest(BaseModel):
    """A measure changed a business decision (嵌入式联合奖惩)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "case_id": "ZFCG-2026-000123",
                    "business_system": "gov-procurement",
                    "scenario": "government_procurement",
                    "measure_code": "ban_government_procurement",
                    "designation_id": "0b8e6a43-5a53-4c3c-9d1e-1f0a2b3c4d5e",
                    "subject_id": EXAMPLE_SUBJECT,
                    "outcome": "applied",
                    "result": "取消投标资格",
                    "amount": 1200000.0,
                    "occurred_at": "2026-03-02T10:15:00+08:00",
                    "district": "350100",
                }
            ]
        },
    )

    case_id: Text = Field(min_length=1, max_length=128, description="the business case number")
    business_system: Text = Field(
        min_length=1, max_length=128, description="the departmental business system recording it"
    )
    scenario: Code | None = None
    measure_code: Code
    designation_id: uuid.UUID
    subject_id: SubjectId
    outcome: Literal["applied", "not_applied"] = Field(
        "applied", description="not_applied only for discretionary measures, with a reason"
    )
    reason: Text | None = Field(None, min_length=1, max_length=2000)
    result: Text = Field(
        min_length=1, max_length=2000, description="what the measure changed, e.g. 不予受理"
    )
    amount: Annotated[float, AfterValidator(_yuan)] | None = Field(
        None,
        ge=0,
        le=1e15,
        allow_inf_nan=False,
        description="amount concerned, in yuan (at most 2 decimals)",
    )
    occurred_at: Annotated[AwareDatetime, AfterValidator(_plausible_time)]
    district: str | None = Field(
        None, pattern=r"^[0-9]{6}$", description="行政区划代码 where it was enforced"
    )


class Enforcement(BaseModel):
    enforcement_id: uuid.UUID = Field(description="also the id of its enforcement receipt")
    department_code: str
    business_system: str
    case_id: str
    measure_code: str
    subject_id: str
    target_role: str
    designation_id: uuid.UUID
    designation_version: int
    outcome: Literal["applied", "not_applied"]
    reason: str | None
    scenario: str | None
    result: str
    amount: float | None
    occurred_at: datetime
    district: str | None
    recorded_at: datetime


class EnforcementPage(BaseModel):
    items: list[Enforcement]
    next_offset: int | None = Field(
        description="pass as `offset` for the next page; null at the end"
    )


class HeldTargetOut(BaseModel):
    kind: Literal["organisation", "person"]
    id: str
    role: str
    name: str
    measure_codes: list[str]
    state: Literal["in_force", "suspended", "lifted"]
    cause: str | None
    set_by_version: int


class HeldDesignationOut(BaseModel):
    """What this department holds about one designation."""

    id: uuid.UUID
    version: int
    status: str
    list_type: str
    memorandum_code: str
    subject_kind: str
    subject_id: str
    period_start: date
    period_end: date | None
    initiating_department: str
    document_number: str
    event_id: uuid.UUID
    recorded_at: datetime
    ignored_events: int
    not_applicable: list[dict[str, str]]
    targets: list[HeldTargetOut]


class ResponderStatus(BaseModel):
    department_code: str
    catalogue_version: int | None
    index_loaded: bool = Field(description="loaded and caught up with the change feed")
    indexed_subjects: int
    index: IndexFreshnessView
