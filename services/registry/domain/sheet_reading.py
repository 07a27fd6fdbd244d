"""Reading a sheet row by row: cells by field, each problem kept as (row, column, message)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from services.registry.domain.labels import Vocabulary
from services.registry.domain.records import CODE_PATTERN, Record
from services.registry.domain.text import normalize_text, split_list
from shared.tabular import Row

_CODE_HINT = "a code is lower-case letters, digits and single underscores, starting with a letter"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = True


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class Cells:
    """One row's cells by field, collecting errors against their column headers."""

    def __init__(self, row: Row, columns: dict[str, Column]) -> None:
        self.number = row.number
        self.errors: list[RowError] = []
        self._headers = {c.field: header for header, c in columns.items()}
        self._values = {c.field: row.values.get(header, "") for header, c in columns.items()}

    def has(self, field_name: str) -> bool:
        return field_name in self._values

    def fail(self, field_name: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.header(field_name), message))

    def header(self, field_name: str) -> str:
        return self._headers.get(field_name, field_name)

    def text(self, field_name: str) -> str | None:
        value = normalize_text(self._values.get(field_name, ""))
        if not value:
            self.fail(field_name, "is empty")
            return None
        return value

    def optional_text(self, field_name: str) -> str:
        return normalize_text(self._values.get(field_name, ""))

    def code(self, field_name: str) -> str | None:
        value = self.text(field_name)
        if value is not None and not re.fullmatch(CODE_PATTERN, value):
            self.fail(field_name, f"{value!r} is not a code: {_CODE_HINT}")
            return None
        return value

    def mapped(self, field_name: str, table: dict[str, str], what: str) -> str | None:
        value = self.text(field_name)
        if value is None:
            return None
        found = table.get(value)
        if found is None:
            self.fail(field_name, f"unknown {what} {value!r}")
        return found

    def mapped_list(
        self, field_name: str, read: Callable[[str], str | None], what: str, *, empty_ok: bool
    ) -> list[str] | None:
        items = split_list(self._values.get(field_name, ""))
        if not items and not empty_ok:
            self.fail(field_name, "is empty")
            return None
        codes: list[str] = []
        unknown: list[str] = []
        for item in items:
            code = read(item)
            if code is None:
                unknown.append(item)
            else:
                codes.append(code)
        if unknown:
            self.fail(field_name, f"unknown {what}: {'、'.join(unknown)}")
            return None
        return codes

    def word(self, field_name: str, vocabulary: Vocabulary) -> str | None:
        value = self.text(field_name)
        if value is None:
            return None
        code = vocabulary.code(value)
        if code is None:
            self.fail(field_name, f"{value!r} is not one of: {vocabulary.choices()}")
        return code

    def integer(self, field_name: str, low: int, high: int, what: str) -> int | None:
        value = self.text(field_name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            self.fail(field_name, f"{value!r} is not a whole number of {what} from {low} to {high}")
            return None
        return number


def columns_of(
    header: Sequence[str], known: Sequence[Column]
) -> tuple[dict[str, Column], list[RowError]]:
    by_name = {normalize_text(c.header): c for c in known} | {c.field: c for c in known}
    present: dict[str, Column] = {}
    errors: list[RowError] = []
    for name in header:
        if name == "__extra__":
            continue
        column = by_name.get(normalize_text(name))
        if column is None:
            if name.strip():
                errors.append(RowError(1, name, "unknown column"))
            continue
        if column in present.values():
            errors.append(RowError(1, name, f"column {column.header} given twice"))
            continue
        present[name] = column
    for column in known:
        if column.required and column not in present.values():
            errors.append(RowError(1, column.header, "column missing from the header"))
    return present, errors


def read_sheet(
    rows: Iterable[Row],
    known: Sequence[Column],
    parse: Callable[[Cells], Record | None],
) -> tuple[list[tuple[int, Record]], list[RowError], int]:
    records: list[tuple[int, Record]] = []
    errors: list[RowError] = []
    columns: dict[str, Column] | None = None
    first_row: dict[str, int] = {}
    count = 0
    for row in rows:
        count += 1
        if columns is None:
            columns, header_errors = columns_of(list(row.values), known)
            errors.extend(header_errors)
            if header_errors:
                return records, errors, count
        if row.values.get("__extra__"):
            errors.append(RowError(row.number, "", "values beyond the named columns"))
        cells = Cells(row, columns)
        record = parse(cells)
        errors.extend(cells.errors)
        if record is None:
            continue
        if record.code in first_row:
            errors.append(
                RowError(
                    row.number,
                    cells.header("code"),
                    f"{record.code!r} is already on row {first_row[record.code]}",
                )
            )
            continue
        first_row[record.code] = row.number
        records.append((row.number, record))
    if count == 0:
        errors.append(RowError(2, "", "the file has no rows below its header"))
    return records, errors, count


def validated(cells: Cells, model: type[Record], values: dict[str, Any]) -> Record | None:
    """The record, or None with every field's error reported once (cells read badly are not
    reported again by the model)."""
    failed = {error.column for error in cells.errors}
    present = {k: v for k, v in values.items() if v is not None}
    try:
        record = model.model_validate(present)
    except ValidationError as error:
        for problem in error.errors():
            name = _field_of(problem["loc"])
            if name.split(".")[0] in present and cells.header(name) not in failed:
                cells.fail(name, problem["msg"])
        return None
    return None if cells.errors else record


def _field_of(location: tuple[int | str, ...]) -> str:
    if not location:
        return ""
    if location[0] == "source" and len(location) > 1:
        return f"source.{location[1]}"
    return str(location[0])
