"""The catalogue's records, validated one by one: departments, memoranda and measures.

The shapes are those of `seed_data/catalogue.json` (plus `active` on departments), which every
service reads with `shared.catalogue.Catalogue.from_document`.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from services.registry.domain.text import normalize_text
from shared.catalogue import SubjectType
from shared.events.designations import ListType

CODE_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"

Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="lower-case snake_case identifier",
        examples=["dishonest_judgment_debtors"],
    ),
]


def _text(value: Any) -> Any:
    return normalize_text(readable(value)) if isinstance(value, str) else value


def readable(value: str) -> str:
    """Text a person wrote: no control characters (but white space) and no lone surrogates."""
    bad = sorted(
        {
            f"U+{ord(c):04X}"
            for c in value
            if unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r"
        }
    )
    if bad:
        raise ValueError(f"contains characters that are not text: {', '.join(bad)}")
    return value


PlainText = Annotated[str, AfterValidator(readable)]


UNIQUE_ITEMS: dict[str, Any] = {"uniqueItems": True}
"""What `_unique` enforces, in the JSON Schema (and before `min_length`, which then shows too)."""


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    duplicates = sorted({str(v) for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"listed twice: {', '.join(duplicates)}")
    return values


ShortText = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=100)]
Title = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=300)]
LongText = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=4000)]


class Level(StrEnum):
    province = "省"
    city = "市"
    county = "区县"


class DepartmentKind(StrEnum):
    general = "综合"
    judicial = "司法"
    financial = "金融"
    market_regulation = "市场监管"
    sector = "行业主管"
    tax = "税务"
    other = "其他"


class Category(StrEnum):
    """行政性 / 市场性 / 行业性 / 社会性 punishments, and the kinds of incentives."""

    administrative = "administrative"
    market = "market"
    industry = "industry"
    social = "social"
    administrative_facilitation = "administrative_facilitation"
    market_incentive = "market_incentive"
    honour_publicity = "honour_publicity"
    financial_support = "financial_support"


CATEGORIES_BY_LIST_TYPE: dict[str, tuple[Category, ...]] = {
    "black": (Category.administrative, Category.market, Category.industry, Category.social),
    "red": (
        Category.administrative_facilitation,
        Category.market_incentive,
        Category.honour_publicity,
        Category.financial_support,
    ),
}


class Binding(StrEnum):
    binding = "binding"
    discretionary = "discretionary"


class Scenario(StrEnum):
    administrative_approval = "administrative_approval"
    bidding = "bidding"
    government_procurement = "government_procurement"
    fiscal_funds = "fiscal_funds"
    honours = "honours"
    daily_inspection = "daily_inspection"
    financing_credit = "financing_credit"
    travel_consumption = "travel_consumption"
    licensing = "licensing"
    employment = "employment"
    market_access = "market_access"
    public_resource_trading = "public_resource_trading"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code

    def as_value(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class DepartmentRecord(Record):
    name: ShortText
    level: Level
    region: ShortText
    kind: DepartmentKind
    active: bool = Field(True, description="only active departments are expected to respond")


class MemorandumRecord(Record):
    """A memorandum of co-operation (合作备忘录): one domain's list and who signed it."""

    title: Title
    list_type: ListType = Field(description="black: punishments (黑名单); red: incentives (红名单)")
    legal_basis: LongText
    designating_departments: Annotated[
        tuple[Code, ...],
        Field(min_length=1, max_length=200, json_schema_extra=UNIQUE_ITEMS),
        AfterValidator(_unique),
    ]
    signatory_departments: Annotated[
        tuple[Code, ...],
        Field(min_length=1, max_length=200, json_schema_extra=UNIQUE_ITEMS),
        AfterValidator(_unique),
    ]
    subject_types: Annotated[
        tuple[SubjectType, ...],
        Field(min_length=1, json_schema_extra=UNIQUE_ITEMS),
        AfterValidator(_unique),
    ]
    applies_to_all: bool = Field(
        False, description="its measures apply to every designation of its list type"
    )


class MeasureSource(BaseModel):
    """Where a measure comes from: a seed document and the words it uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=100)]
    excerpt: LongText


class MeasureRecord(Record):
    """A catalogue entry (目录清单), with the columns seed 001 names."""

    memorandum: Code
    administrative_unit: Code = Field(description="行政单位: the department that owns the measure")
    title: Title = Field(description="处理措施")
    reason: LongText = Field(description="实施事由")
    legal_basis: LongText = Field(description="法律依据")
    implementing_departments: Annotated[
        tuple[Code, ...],
        Field(min_length=1, max_length=200, json_schema_extra=UNIQUE_ITEMS),
        AfterValidator(_unique),
    ] = Field(description="联合奖惩实施单位")
    content: LongText = Field(description="措施内容")
    evidence: LongText = Field(description="证据材料")
    category: Category = Field(
        description="black: administrative, market, industry, social; red: "
        "administrative_facilitation, market_incentive, honour_publicity, financial_support"
    )
    binding: Binding = Field(description="binding (应当/必须) or discretionary (可以/参考)")
    subject_types: Annotated[
        tuple[SubjectType, ...],
        Field(min_length=1, json_schema_extra=UNIQUE_ITEMS),
        AfterValidator(_unique),
    ]
    scenarios: Annotated[
        tuple[Scenario, ...], Field(json_schema_extra=UNIQUE_ITEMS), AfterValidator(_unique)
    ] = ()
    response_deadline_workdays: int = Field(ge=1, le=90)
    source: MeasureSource | None = None
