"""CSV and XLSX reading and writing, with the row numbers an office sees."""

from __future__ import annotations

import io

import pytest

from shared.tabular import (
    TabularError,
    TabularFormat,
    read_rows,
    sniff_format,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.unit

HEADER = ["代码", "名称", "日期"]
ROWS = [["court", "法院", "2026-01-05"], ["market", "市场监管局", ""]]


@pytest.mark.parametrize("file_format", list(TabularFormat))
def test_round_trip_keeps_text_and_row_numbers(file_format: TabularFormat) -> None:
    writer = write_xlsx if file_format is TabularFormat.xlsx else write_csv
    data = writer(HEADER, ROWS)
    assert sniff_format(data[:8]) is file_format
    rows = list(read_rows(io.BytesIO(data), file_format))
    assert [row.number for row in rows] == [2, 3]
    assert rows[0].values == {"代码": "court", "名称": "法院", "日期": "2026-01-05"}
    assert rows[1].values["日期"] == ""


def test_blank_lines_are_skipped_and_extra_cells_reported() -> None:
    data = b"a,b\n1,2\n,\n3,4,5\n"
    rows = list(read_rows(io.BytesIO(data), TabularFormat.csv))
    assert [row.number for row in rows] == [2, 4]
    assert rows[1].values["__extra__"] == "5"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"a,a\n1,2\n", "named twice"),
        ("a\n\xff".encode("latin-1"), "UTF-8"),
    ],
)
def test_unreadable_csv_files_say_why(data: bytes, words: str) -> None:
    with pytest.raises(TabularError, match=words):
        list(read_rows(io.BytesIO(data), TabularFormat.csv))


def test_a_file_that_is_not_a_workbook_says_so() -> None:
    with pytest.raises(TabularError, match="XLSX"):
        list(read_rows(io.BytesIO(b"PK\x03\x04garbage"), TabularFormat.xlsx))
