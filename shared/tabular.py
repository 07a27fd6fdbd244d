"""CSV and XLSX the way offices keep lists: read row by row (streamed), written for download.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2, so
an error report's row number is the one the office sees when it opens the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import IO, Any

from openpyxl import Workbook, load_workbook

XLSX_MAGIC = b"PK\x03\x04"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TabularFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class TabularError(ValueError):
    """The file as a whole cannot be read (not CSV or XLSX, no header, bad encoding)."""


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]


def sniff_format(head: bytes, filename: str | None = None) -> TabularFormat:
    """XLSX files are ZIP archives; anything else is read as CSV."""
    if head.startswith(XLSX_MAGIC) or (filename or "").lower().endswith(".xlsx"):
        return TabularFormat.xlsx
    return TabularFormat.csv


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header(cells: Sequence[Any]) -> list[str]:
    header = [_cell_text(cell) for cell in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise TabularError("the first row must name the columns")
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    if duplicates:
        raise TabularError(f"columns named twice in the header: {', '.join(duplicates)}")
    return header


def _rows(header: list[str], records: Iterable[Sequence[Any]]) -> Iterator[Row]:
    for number, cells in enumerate(records, start=2):
        texts = [_cell_text(cell) for cell in cells]
        if not any(texts):
            continue
        values = {name: (texts[i] if i < len(texts) else "") for i, name in enumerate(header)}
        extra = [text for text in texts[len(header) :] if text]
        if extra:
            values["__extra__"] = " | ".join(extra)
        yield Row(number, values)


def read_csv(binary: IO[bytes]) -> Iterator[Row]:
    """UTF-8 (with or without BOM). Streams: memory does not grow with the file."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        first = next(reader, None)
        if first is None:
            raise TabularError("the file is empty")
        header = _header(first)
        yield from _rows(header, reader)
    except UnicodeDecodeError as error:
        raise TabularError(f"the CSV file is not UTF-8 text: {error.reason}") from error
    except csv.Error as error:
        raise TabularError(f"the CSV file cannot be read: {error}") from error
    finally:
        text.detach()


def read_xlsx(binary: IO[bytes]) -> Iterator[Row]:
    """The first worksheet, read-only (streamed by openpyxl)."""
    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as error:
        raise TabularError(f"not a readable XLSX workbook: {error}") from error
    try:
        sheet = workbook.worksheets[0]
        records = sheet.iter_rows(values_only=True)
        first = next(records, None)
        if first is None:
            raise TabularError("the worksheet is empty")
        yield from _rows(_header(first), records)
    finally:
        workbook.close()


def read_rows(binary: IO[bytes], file_format: TabularFormat) -> Iterator[Row]:
    return read_xlsx(binary) if file_format is TabularFormat.xlsx else read_csv(binary)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, so that spreadsheet programs open Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell_text(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1"
) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
