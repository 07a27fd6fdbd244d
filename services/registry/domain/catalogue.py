"""One catalogue version in memory: its records in order, edited into new states, validated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.registry.domain.records import (
    CATEGORIES_BY_LIST_TYPE,
    DepartmentRecord,
    MeasureRecord,
    MemorandumRecord,
    Record,
)

ENTITY_KEYS = (("department", "departments"), ("memorandum", "memoranda"), ("measure", "measures"))


@dataclass(frozen=True)
class Issue:
    """What is wrong with one record of a catalogue, and in which field."""

    entity: str
    code: str
    field: str
    message: str

    @property
    def location(self) -> str:
        return (
            f"{self.entity}.{self.code}.{self.field}"
            if self.field
            else f"{self.entity}.{self.code}"
        )


class CatalogueInvalid(ValueError):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.location}: {i.message}" for i in issues[:5]))
        self.issues = issues


@dataclass(frozen=True)
class CatalogueState:
    departments: Mapping[str, DepartmentRecord] = field(default_factory=dict)
    memoranda: Mapping[str, MemorandumRecord] = field(default_factory=dict)
    measures: Mapping[str, MeasureRecord] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> CatalogueState:
        """Records of a document in the seed's shape; CatalogueInvalid lists every bad field."""
        issues: list[Issue] = []
        models: dict[str, type[Record]] = {
            "department": DepartmentRecord,
            "memorandum": MemorandumRecord,
            "measure": MeasureRecord,
        }
        tables: dict[str, dict[str, Any]] = {}
        for entity, key in ENTITY_KEYS:
            table: dict[str, Any] = {}
            for position, item in enumerate(document.get(key) or ()):
                code = str(item.get("code", f"#{position + 1}")) if isinstance(item, dict) else ""
                try:
                    record = models[entity].model_validate(item)
                except ValidationError as error:
                    issues.extend(validation_issues(entity, code or f"#{position + 1}", error))
                    continue
                if record.code in table:
                    issues.append(Issue(entity, record.code, "code", "code used twice"))
                table[record.code] = record
            tables[entity] = table
        state = cls(tables["department"], tables["memorandum"], tables["measure"])
        issues.extend(catalogue_issues(state))
        if issues:
            raise CatalogueInvalid(issues)
        return state

    def as_document(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "departments": [d.as_value() for d in self.departments.values()],
            "memoranda": [m.as_value() for m in self.memoranda.values()],
            "measures": [m.as_value() for m in self.measures.values()],
        }

    def measures_of(self, memorandum_code: str) -> list[MeasureRecord]:
        return [m for m in self.measures.values() if m.memorandum == memorandum_code]

    def bundle(self, memorandum_code: str) -> dict[str, Any] | None:
        """A memorandum with its measures as plain values (what a draft starts from)."""
        memorandum = self.memoranda.get(memorandum_code)
        if memorandum is None:
            return None
        return {
            "memorandum": memorandum.as_value(),
            "measures": [m.as_value() for m in self.measures_of(memorandum_code)],
        }

    def with_department(self, record: DepartmentRecord) -> CatalogueState:
        return CatalogueState(_put(self.departments, [record]), self.memoranda, self.measures)

    def without_department(self, code: str) -> CatalogueState:
        return CatalogueState(_drop(self.departments, {code}), self.memoranda, self.measures)

    def with_departments(self, records: Iterable[DepartmentRecord]) -> CatalogueState:
        return CatalogueState(_put(self.departments, records), self.memoranda, self.measures)

    def with_memorandum(
        self, memorandum: MemorandumRecord, measures: Iterable[MeasureRecord]
    ) -> CatalogueState:
        """The memorandum with exactly `measures`: its other measures are removed."""
        replaced = {m.code for m in self.measures_of(memorandum.code)}
        kept = _drop(self.measures, replaced)
        return CatalogueState(
            self.departments,
            _put(self.memoranda, [memorandum]),
            _merge_in_place(self.measures, kept, measures),
        )

    def without_memorandum(self, code: str) -> CatalogueState:
        gone = {m.code for m in self.measures_of(code)}
        return CatalogueState(
            self.departments, _drop(self.memoranda, {code}), _drop(self.measures, gone)
        )

    def with_measures(self, records: Iterable[MeasureRecord]) -> CatalogueState:
        return CatalogueState(self.departments, self.memoranda, _put(self.measures, records))

    def without_measures(self, codes: set[str]) -> CatalogueState:
        return CatalogueState(self.departments, self.memoranda, _drop(self.measures, codes))


def _put(table: Mapping[str, Any], records: Iterable[Record]) -> dict[str, Any]:
    """Replaced records keep their place; new ones go to the end."""
    result = dict(table)
    for record in records:
        result[record.code] = record
    return result


def _drop(table: Mapping[str, Any], codes: set[str]) -> dict[str, Any]:
    return {code: record for code, record in table.items() if code not in codes}


def _merge_in_place(
    original: Mapping[str, MeasureRecord],
    kept: Mapping[str, MeasureRecord],
    new: Iterable[MeasureRecord],
) -> dict[str, MeasureRecord]:
    """`kept` plus `new`, where a new record that existed before returns to its old place."""
    incoming = {m.code: m for m in new}
    result: dict[str, MeasureRecord] = {}
    for code, record in original.items():
        if code in incoming:
            result[code] = incoming.pop(code)
        elif code in kept:
            result[code] = record
    result.update(incoming)
    return result


def validation_issues(entity: str, code: str, error: ValidationError) -> list[Issue]:
    return [
        Issue(entity, code, ".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors()
    ]


def catalogue_issues(state: CatalogueState) -> list[Issue]:
    """Rules across records: every reference resolves and fits its memorandum."""
    issues: list[Issue] = []
    departments = state.departments
    names: dict[str, str] = {}
    for department in departments.values():
        other = names.setdefault(department.name, department.code)
        if other != department.code:
            issues.append(
                Issue("department", department.code, "name", f"name also used by {other}")
            )
    titles: dict[str, str] = {}
    for memo in state.memoranda.values():
        other = titles.setdefault(memo.title, memo.code)
        if other != memo.code:
            issues.append(Issue("memorandum", memo.code, "title", f"title also used by {other}"))
        for key in ("designating_departments", "signatory_departments"):
            unknown = [c for c in getattr(memo, key) if c not in departments]
            if unknown:
                issues.append(Issue("memorandum", memo.code, key, _unknown(unknown)))
        unsigned = [c for c in memo.designating_departments if c not in memo.signatory_departments]
        if unsigned:
            issues.append(
                Issue(
                    "memorandum",
                    memo.code,
                    "designating_departments",
                    f"designating departments must also sign it: {', '.join(unsigned)}",
                )
            )
    for measure in state.measures.values():
        issues.extend(_measure_issues(state, measure))
    return issues


def _measure_issues(state: CatalogueState, measure: MeasureRecord) -> list[Issue]:
    def issue(field_name: str, message: str) -> Issue:
        return Issue("measure", measure.code, field_name, message)

    memo = state.memoranda.get(measure.memorandum)
    if memo is None:
        return [issue("memorandum", f"unknown memorandum {measure.memorandum!r}")]
    issues: list[Issue] = []
    departments = state.departments
    if measure.administrative_unit not in departments:
        issues.append(issue("administrative_unit", _unknown([measure.administrative_unit])))
    elif measure.administrative_unit not in memo.signatory_departments:
        issues.append(
            issue(
                "administrative_unit",
                f"{measure.administrative_unit} has not signed memorandum {memo.code}",
            )
        )
    unknown = [c for c in measure.implementing_departments if c not in departments]
    unsigned = [
        c
        for c in measure.implementing_departments
        if c in departments and c not in memo.signatory_departments
    ]
    if unknown:
        issues.append(issue("implementing_departments", _unknown(unknown)))
    if unsigned:
        issues.append(
            issue(
                "implementing_departments",
                f"not signatories of memorandum {memo.code}: {', '.join(unsigned)}",
            )
        )
    uncovered = [t.value for t in measure.subject_types if t not in memo.subject_types]
    if uncovered:
        issues.append(
            issue(
                "subject_types",
                f"memorandum {memo.code} does not cover: {', '.join(uncovered)}",
            )
        )
    allowed = CATEGORIES_BY_LIST_TYPE[memo.list_type]
    if measure.category not in allowed:
        issues.append(
            issue(
                "category",
                f"a {memo.list_type}-list measure's category is one of: "
                + ", ".join(c.value for c in allowed),
            )
        )
    return issues


def _unknown(codes: list[str]) -> str:
    return f"unknown department{'s' if len(codes) > 1 else ''}: {', '.join(codes)}"
