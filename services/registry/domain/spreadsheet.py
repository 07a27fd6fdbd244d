"""The catalogue as offices keep it in CSV or XLSX: one row per measure (or department).

Columns carry Chinese headers; departments are written by name, coded values by their Chinese
words, lists joined with 、 (read back split at 、 or ;). Reading accepts codes as well. Every
problem is reported as (row, column, message) with the row number a spreadsheet shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from services.registry.domain.catalogue import CatalogueState, Issue, catalogue_issues
from services.registry.domain.labels import (
    BINDINGS,
    BOOLEAN_WORDS,
    CATEGORIES,
    NO,
    SCENARIOS,
    SUBJECT_TYPES,
    YES,
)
from services.registry.domain.records import DepartmentRecord, MeasureRecord, Record
from services.registry.domain.sheet_reading import Cells, Column, RowError, read_sheet, validated
from services.registry.domain.text import join_list, normalize_text
from shared.tabular import Row

MEASURE_COLUMNS = (
    Column("措施编码", "code"),
    Column("合作备忘录", "memorandum"),
    Column("行政单位", "administrative_unit"),
    Column("处理措施", "title"),
    Column("实施事由", "reason"),
    Column("法律依据", "legal_basis"),
    Column("联合奖惩实施单位", "implementing_departments"),
    Column("措施内容", "content"),
    Column("证据材料", "evidence"),
    Column("措施类别", "category"),
    Column("约束性", "binding"),
    Column("适用对象", "subject_types"),
    Column("应用场景", "scenarios"),
    Column("反馈时限(工作日)", "response_deadline_workdays"),
    Column("来源文件", "source.seed", required=False),
    Column("来源摘录", "source.excerpt", required=False),
)
DEPARTMENT_COLUMNS = (
    Column("编码", "code"),
    Column("名称", "name"),
    Column("层级", "level"),
    Column("地区", "region"),
    Column("类别", "kind"),
    Column("启用", "active"),
)


class ImportMode(StrEnum):
    merge = "merge"
    """rows add or replace measures; measures not in the file stay"""
    replacing = "replace"
    """as merge, and measures of the memoranda the file names that it does not list are removed"""


@dataclass
class SheetResult:
    """The catalogue after the import, or the errors that stop it (then nothing is imported)."""

    state: CatalogueState
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


class _Lookup:
    def __init__(self, state: CatalogueState) -> None:
        self.departments: dict[str, str] = {}
        for department in state.departments.values():
            self.departments[department.code] = department.code
            self.departments[department.name] = department.code
        self.memoranda: dict[str, str] = {}
        for memorandum in state.memoranda.values():
            self.memoranda[memorandum.code] = memorandum.code
            self.memoranda[memorandum.title] = memorandum.code


def read_measures(
    rows: Iterable[Row], state: CatalogueState, mode: ImportMode = ImportMode.merge
) -> SheetResult:
    lookup = _Lookup(state)

    def department(text: str) -> str | None:
        return lookup.departments.get(normalize_text(text))

    def parse(cells: Cells) -> Record | None:
        values: dict[str, Any] = {
            "code": cells.code("code"),
            "memorandum": cells.mapped("memorandum", lookup.memoranda, "memorandum"),
            "administrative_unit": cells.mapped(
                "administrative_unit", lookup.departments, "department"
            ),
            "title": cells.text("title"),
            "reason": cells.text("reason"),
            "legal_basis": cells.text("legal_basis"),
            "implementing_departments": cells.mapped_list(
                "implementing_departments", department, "departments", empty_ok=False
            ),
            "content": cells.text("content"),
            "evidence": cells.text("evidence"),
            "category": cells.word("category", CATEGORIES),
            "binding": cells.word("binding", BINDINGS),
            "subject_types": cells.mapped_list(
                "subject_types", SUBJECT_TYPES.code, "subject types", empty_ok=False
            ),
            "scenarios": cells.mapped_list("scenarios", SCENARIOS.code, "scenarios", empty_ok=True),
            "response_deadline_workdays": cells.integer(
                "response_deadline_workdays", 1, 90, "working days"
            ),
        }
        values["source"] = _source(cells, state, values["code"])
        return validated(cells, MeasureRecord, values)

    records, errors, count = read_sheet(rows, MEASURE_COLUMNS, parse)
    measures = [r for _, r in records if isinstance(r, MeasureRecord)]
    updated = state.with_measures(measures)
    if mode is ImportMode.replacing:
        named = {m.memorandum for m in measures}
        listed = {m.code for m in measures}
        updated = updated.without_measures(
            {m.code for m in state.measures.values() if m.memorandum in named} - listed
        )
    if not errors:
        rows_by_code = {r.code: number for number, r in records}
        errors = _issue_errors(catalogue_issues(updated), rows_by_code, "measure", MEASURE_COLUMNS)
    return SheetResult(updated, errors, count)


def _source(cells: Cells, state: CatalogueState, code: str | None) -> dict[str, str] | None:
    if not cells.has("source.seed") and not cells.has("source.excerpt"):
        existing = state.measures.get(code or "")
        return existing.source.model_dump() if existing and existing.source else None
    seed, excerpt = cells.optional_text("source.seed"), cells.optional_text("source.excerpt")
    if not seed and not excerpt:
        return None
    if not seed or not excerpt:
        cells.fail(
            "source.seed" if not seed else "source.excerpt", "give both source columns or neither"
        )
        return None
    return {"seed": seed, "excerpt": excerpt}


def read_departments(rows: Iterable[Row], state: CatalogueState) -> SheetResult:
    """Departments are added or replaced; none is removed by an import."""

    def parse(cells: Cells) -> Record | None:
        values: dict[str, Any] = {
            "code": cells.code("code"),
            "name": cells.text("name"),
            "level": cells.text("level"),
            "region": cells.text("region"),
            "kind": cells.text("kind"),
            "active": _boolean(cells, "active"),
        }
        return validated(cells, DepartmentRecord, values)

    records, errors, count = read_sheet(rows, DEPARTMENT_COLUMNS, parse)
    departments = [r for _, r in records if isinstance(r, DepartmentRecord)]
    updated = state.with_departments(departments)
    if not errors:
        rows_by_code = {r.code: number for number, r in records}
        errors = _issue_errors(
            catalogue_issues(updated), rows_by_code, "department", DEPARTMENT_COLUMNS
        )
    return SheetResult(updated, errors, count)


def _boolean(cells: Cells, field_name: str) -> bool | None:
    value = cells.text(field_name)
    if value is None:
        return None
    answer = BOOLEAN_WORDS.get(value.lower())
    if answer is None:
        cells.fail(field_name, f"{value!r} is neither {YES} nor {NO}")
    return answer


def _issue_errors(
    issues: list[Issue], rows_by_code: dict[str, int], entity: str, columns: Sequence[Column]
) -> list[RowError]:
    """Catalogue rules broken by the imported rows, placed on those rows."""
    headers = {c.field: c.header for c in columns}
    errors = []
    for issue in issues:
        row = rows_by_code.get(issue.code) if issue.entity == entity else None
        field_name = issue.field.split(".")[0]
        if row is None:
            errors.append(RowError(0, "", f"{issue.location}: {issue.message}"))
        else:
            errors.append(RowError(row, headers.get(field_name, field_name), issue.message))
    return errors


def measure_table(
    state: CatalogueState, memorandum: str | None = None
) -> tuple[list[str], list[list[Any]]]:
    names = {d.code: d.name for d in state.departments.values()}
    rows: list[list[Any]] = []
    for m in state.measures.values():
        if memorandum is not None and m.memorandum != memorandum:
            continue
        rows.append(
            [
                m.code,
                m.memorandum,
                names.get(m.administrative_unit, m.administrative_unit),
                m.title,
                m.reason,
                m.legal_basis,
                join_list([names.get(c, c) for c in m.implementing_departments]),
                m.content,
                m.evidence,
                CATEGORIES.label(m.category),
                BINDINGS.label(m.binding),
                join_list([SUBJECT_TYPES.label(t) for t in m.subject_types]),
                join_list([SCENARIOS.label(s) for s in m.scenarios]),
                m.response_deadline_workdays,
                m.source.seed if m.source else "",
                m.source.excerpt if m.source else "",
            ]
        )
    return [c.header for c in MEASURE_COLUMNS], rows


def department_table(state: CatalogueState) -> tuple[list[str], list[list[Any]]]:
    rows: list[list[Any]] = [
        [d.code, d.name, d.level.value, d.region, d.kind.value, YES if d.active else NO]
        for d in state.departments.values()
    ]
    return [c.header for c in DEPARTMENT_COLUMNS], rows
