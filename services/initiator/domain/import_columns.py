"""The bulk import's columns (Chinese or English headers) and how a row becomes a designation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from services.initiator.domain import fields
from services.initiator.domain.admission import admit
from services.initiator.domain.dates import aware
from services.initiator.domain.designation import NewDesignation
from shared.catalogue import Catalogue
from shared.events.designations import DesignationSubject, ListType, ResponsiblePerson
from shared.identifiers import detect_kind

COLUMNS: dict[str, tuple[str, ...]] = {
    "subject_kind": ("主体类型",),
    "subject_id": (
        "主体代码",
        "统一社会信用代码或身份证号码",
        "统一社会信用代码",
        "身份证号码",
        "证件号码",
    ),
    "subject_name": ("主体名称", "名称", "姓名"),
    "list_type": ("名单类型",),
    "memorandum_code": ("备忘录编码", "备忘录"),
    "reason": ("实施事由", "认定事由", "事由"),
    "legal_basis": ("法律依据",),
    "document_number": ("文号", "认定文书文号", "法律文书编号"),
    "evidence": ("证据材料",),
    "decided_at": ("认定日期", "决定日期"),
    "period_start": ("起始日期", "惩戒期限起", "有效期起"),
    "period_end": ("截止日期", "惩戒期限止", "有效期止"),
    "legal_representative_name": ("法定代表人", "法定代表人姓名"),
    "legal_representative_id": ("法定代表人身份证号码",),
    "principal_name": ("主要负责人", "主要负责人姓名"),
    "principal_id": ("主要负责人身份证号码",),
    "directly_responsible_name": ("直接责任人", "直接责任人姓名"),
    "directly_responsible_id": ("直接责任人身份证号码",),
}
"""Canonical name → Chinese headers; the canonical (English) name is accepted too."""

REQUIRED = (
    "subject_id",
    "subject_name",
    "reason",
    "legal_basis",
    "document_number",
    "decided_at",
    "period_start",
)
REQUIRED_UNLESS_DEFAULT = ("list_type", "memorandum_code")
PERSON_ROLES = ("legal_representative", "principal", "directly_responsible")

_KINDS = {
    "organisation": "organisation",
    "organization": "organisation",
    "法人": "organisation",
    "法人和其他组织": "organisation",
    "法人和非法人组织": "organisation",
    "企业": "organisation",
    "单位": "organisation",
    "person": "person",
    "自然人": "person",
    "个人": "person",
}
_LIST_TYPES: dict[str, ListType] = {
    "red": "red",
    "红": "red",
    "红名单": "red",
    "守信激励": "red",
    "black": "black",
    "黑": "black",
    "黑名单": "black",
    "失信惩戒": "black",
}
_SEPARATORS = re.compile(r"[;；\n|]")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", name)).lower()


_ALIASES: dict[str, str] = {}
for _canonical, _chinese in COLUMNS.items():
    for _alias in (_canonical, *_chinese):
        _ALIASES[_header_key(_alias)] = _canonical


class HeaderError(ValueError):
    """The header cannot be used: each message names what is wrong."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class ColumnMap:
    """Which file column holds each canonical field."""

    by_field: dict[str, str]
    ignored: tuple[str, ...] = ()

    @classmethod
    def from_header(cls, header: Iterable[str], defaults: Iterable[str] = ()) -> ColumnMap:
        by_field: dict[str, str] = {}
        ignored: list[str] = []
        problems: list[str] = []
        for name in header:
            canonical = _ALIASES.get(_header_key(name))
            if canonical is None:
                if name and name != "__extra__":
                    ignored.append(fields.storable(name, fields.NAME_MAX))
            elif canonical in by_field:
                problems.append(
                    f"columns {by_field[canonical]!r} and {name!r} both give {canonical}"
                )
            else:
                by_field[canonical] = name
        defaulted = set(defaults)
        needed = [*REQUIRED, *(f for f in REQUIRED_UNLESS_DEFAULT if f not in defaulted)]
        missing = [f for f in needed if f not in by_field]
        if missing:
            problems.append(
                "missing columns: "
                + ", ".join(f"{f} ({' / '.join(COLUMNS[f][:1])})" for f in missing)
            )
        if problems:
            raise HeaderError(problems)
        return cls(by_field, tuple(ignored))

    def column(self, field_name: str) -> str:
        return self.by_field.get(field_name, field_name)


@dataclass(frozen=True)
class RowContext:
    catalogue: Catalogue
    department: str
    default_memorandum: str | None = None
    default_list_type: ListType | None = None


@dataclass
class _Reader:
    values: dict[str, str]
    columns: ColumnMap
    row: int
    errors: list[RowError] = field(default_factory=list)

    def raw(self, name: str) -> str:
        column = self.columns.by_field.get(name)
        return self.values.get(column, "").strip() if column else ""

    def fail(self, name: str, message: str) -> None:
        self.errors.append(RowError(self.row, self.columns.column(name), message))

    def text(self, name: str, max_length: int) -> str:
        value = self.raw(name)
        try:
            return fields.clean_text(value, max_length)
        except ValueError as error:
            self.fail(name, "required" if not value else str(error))
            return ""

    def day(self, name: str, required: bool = True) -> date | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "required")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.fail(name, f"not a date: {value!r} (use YYYY-MM-DD)")
            return None
        try:
            return fields.check_day(parsed, name)
        except ValueError as error:
            self.fail(name, str(error))
            return None


def parse_date(value: str) -> date | None:
    text = unicodedata.normalize("NFKC", value).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def parse_moment(value: str) -> datetime | None:
    """A date (midnight) or an ISO date-time; naive values are Asia/Shanghai."""
    day = parse_date(value)
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > 10:
        try:
            return aware(datetime.fromisoformat(text))
        except ValueError:
            pass
    return aware(datetime.combine(day, time())) if day else None


def parse_row(
    number: int, values: dict[str, str], columns: ColumnMap, context: RowContext
) -> NewDesignation | list[RowError]:
    """The designation a row describes, or every problem found in it."""
    reader = _Reader(values, columns, number)
    if values.get("__extra__"):
        reader.errors.append(RowError(number, "__extra__", "cells beyond the last named column"))
    kind, subject_id = _subject(reader)
    name = reader.text("subject_name", fields.NAME_MAX)
    list_type = _list_type(reader, context.default_list_type)
    memorandum = reader.raw("memorandum_code") or context.default_memorandum or ""
    if not memorandum:
        reader.fail("memorandum_code", "required")
    reason = reader.text("reason", fields.TEXT_MAX)
    legal_basis = reader.text("legal_basis", fields.TEXT_MAX)
    document = reader.raw("document_number")
    try:
        document = fields.document_number(document)
    except ValueError as error:
        reader.fail("document_number", "required" if not document else str(error))
    evidence = _evidence(reader)
    decided_at = _decided_at(reader)
    start = reader.day("period_start")
    end = reader.day("period_end", required=False)
    if start is not None:
        try:
            fields.check_period(start, end)
        except ValueError as error:
            reader.fail("period_end", str(error))
    persons = _persons(reader, kind)
    if kind and list_type and memorandum:
        _check_catalogue(reader, context, memorandum, list_type, kind, persons)
    if reader.errors:
        return reader.errors
    assert kind
    assert list_type
    assert decided_at
    assert start
    return NewDesignation(
        initiating_department=context.department,
        subject=DesignationSubject(kind=kind, id=subject_id, name=name),
        list_type=list_type,
        memorandum_code=memorandum,
        reason=reason,
        legal_basis=legal_basis,
        document_number=document,
        evidence=evidence,
        decided_at=decided_at,
        period_start=start,
        period_end=end,
        responsible_persons=tuple(persons),
    )


def _subject(reader: _Reader) -> tuple[str, str]:
    raw_id = reader.raw("subject_id")
    raw_kind = reader.raw("subject_kind")
    if raw_kind:
        kind = _KINDS.get(raw_kind.lower(), "")
        if not kind:
            reader.fail(
                "subject_kind", f"{raw_kind!r} is neither organisation (法人) nor person (自然人)"
            )
    else:
        kind = detect_kind(raw_id).value if raw_id else ""
    if not raw_id:
        reader.fail("subject_id", "required")
        return kind, ""
    if not kind:
        return kind, raw_id
    try:
        return kind, fields.subject_id(kind, raw_id)
    except ValueError as error:
        reader.fail("subject_id", str(error))
        return kind, raw_id


def _list_type(reader: _Reader, default: ListType | None) -> ListType | None:
    raw = reader.raw("list_type")
    if not raw:
        if default is None:
            reader.fail("list_type", "required")
        return default
    value = _LIST_TYPES.get(raw.lower())
    if value is None:
        reader.fail("list_type", f"{raw!r} is neither red (红名单) nor black (黑名单)")
    return value


def _evidence(reader: _Reader) -> tuple[str, ...]:
    items = [item.strip() for item in _SEPARATORS.split(reader.raw("evidence")) if item.strip()]
    if len(items) > fields.EVIDENCE_MAX_ITEMS:
        reader.fail("evidence", f"at most {fields.EVIDENCE_MAX_ITEMS} items")
        return ()
    try:
        return tuple(fields.clean_text(item, fields.EVIDENCE_ITEM_MAX) for item in items)
    except ValueError as error:
        reader.fail("evidence", str(error))
        return ()


def _decided_at(reader: _Reader) -> datetime | None:
    value = reader.raw("decided_at")
    if not value:
        reader.fail("decided_at", "required")
        return None
    moment = parse_moment(value)
    if moment is None:
        reader.fail("decided_at", f"not a date or date-time: {value!r}")
        return None
    try:
        return fields.check_decided_at(moment, datetime.now(UTC))
    except ValueError as error:
        reader.fail("decided_at", str(error))
        return None


def _persons(reader: _Reader, kind: str) -> list[ResponsiblePerson]:
    persons: list[ResponsiblePerson] = []
    for role in PERSON_ROLES:
        names = [n.strip() for n in _SEPARATORS.split(reader.raw(f"{role}_name")) if n.strip()]
        ids = [i.strip() for i in _SEPARATORS.split(reader.raw(f"{role}_id")) if i.strip()]
        if not names and not ids:
            continue
        if kind == "person":
            reader.fail(f"{role}_id", "responsible persons are named only for organisations")
            continue
        if len(names) != len(ids):
            reader.fail(f"{role}_id", f"{len(names)} names but {len(ids)} ID numbers")
            continue
        for name, raw_id in zip(names, ids, strict=True):
            try:
                persons.append(
                    ResponsiblePerson(
                        role=role,
                        id=fields.person_id(raw_id),
                        name=fields.clean_text(name, fields.NAME_MAX),
                    )
                )
            except ValueError as error:
                reader.fail(f"{role}_id", str(error))
    return persons


def _check_catalogue(
    reader: _Reader,
    context: RowContext,
    memorandum: str,
    list_type: ListType,
    kind: str,
    persons: list[ResponsiblePerson],
) -> None:
    admission = admit(
        context.catalogue,
        context.department,
        memorandum,
        list_type,
        kind,
        [p.role for p in persons],
    )
    for violation in admission.violations:
        name = violation.field
        if name == "subject.kind":
            name = "subject_kind"
        elif name.startswith("responsible_persons."):
            name = f"{persons[int(name.split('.')[1])].role}_id"
        reader.fail(name, violation.message)
    if admission.forbidden:
        reader.fail("memorandum_code", admission.forbidden)
