"""Measures and departments as offices keep them in CSV or XLSX, read back row by row."""

from __future__ import annotations

import csv
import io

import pytest

from services.registry.domain.catalogue import CatalogueState
from services.registry.domain.sheet_reading import RowError
from services.registry.domain.spreadsheet import (
    ImportMode,
    department_table,
    measure_table,
    read_departments,
    read_measures,
)
from services.registry.domain.versions import changes_between
from shared.tabular import Row, read_csv, read_xlsx, write_csv, write_xlsx
from tests.support.events import seed_document

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def seed() -> CatalogueState:
    return CatalogueState.from_document(seed_document())


def _csv_rows(header: list[str], rows: list[list[object]]) -> list[Row]:
    return list(read_csv(io.BytesIO(write_csv(header, rows))))


def _edited(
    header: list[str], rows: list[list[object]], row: int, column: str, value: str
) -> list[Row]:
    """The file with one cell changed; `row` is the spreadsheet row number (header is 1)."""
    edited = [list(r) for r in rows]
    edited[row - 2][header.index(column)] = value
    return _csv_rows(header, edited)


def test_the_export_names_departments_and_values_in_chinese(seed: CatalogueState) -> None:
    header, rows = measure_table(seed)
    assert header[:9] == [
        "措施编码",
        "合作备忘录",
        "行政单位",
        "处理措施",
        "实施事由",
        "法律依据",
        "联合奖惩实施单位",
        "措施内容",
        "证据材料",
    ]
    first = dict(zip(header, rows[0], strict=True))
    assert first["行政单位"] == "发展改革委"
    assert first["联合奖惩实施单位"].startswith("发展改革委、工业和信息化(经济和信息化)、")
    assert first["措施类别"] == "行政性"
    assert first["约束性"] == "应当"
    assert first["适用对象"] == "法人和其他组织、自然人"
    assert first["应用场景"] == "行政审批、行政许可"
    assert len(rows) == len(seed.measures)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(seed: CatalogueState, file_format: str) -> None:
    for table, read in (
        (measure_table, read_measures),
        (department_table, read_departments),
    ):
        header, rows = table(seed)
        if file_format == "csv":
            parsed = list(read_csv(io.BytesIO(write_csv(header, rows))))
        else:
            parsed = list(read_xlsx(io.BytesIO(write_xlsx(header, rows))))
        result = read(parsed, seed)
        assert result.errors == []
        assert changes_between(seed, result.state) == ()
        assert result.rows == len(rows)


def test_codes_and_aliases_are_read_too(seed: CatalogueState) -> None:
    header, rows = measure_table(seed, "government_procurement")
    row = dict(zip(header, rows[0], strict=True))
    row["联合奖惩实施单位"] = "finance;public_resource_trading"
    row["约束性"] = "必须"
    row["适用对象"] = "organisation、自然人"
    result = read_measures(_csv_rows(header, [list(row.values())]), seed)
    assert result.errors == []
    measure = result.state.measures[row["措施编码"]]
    assert measure.implementing_departments == ("finance", "public_resource_trading")
    assert measure.binding == "binding"


def test_every_bad_cell_is_reported_by_row_and_column(seed: CatalogueState) -> None:
    header, rows = measure_table(seed)
    edited = [list(r) for r in rows]
    edited[0][header.index("措施编码")] = "Strict-Review"
    edited[1][header.index("联合奖惩实施单位")] = "发展改革委、不存在的局"
    edited[2][header.index("反馈时限(工作日)")] = "五"
    edited[3][header.index("约束性")] = "随便"
    edited[4][header.index("处理措施")] = " "
    edited[5][header.index("措施编码")] = edited[6][header.index("措施编码")]
    result = read_measures(_csv_rows(header, edited), seed)
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (2, "措施编码"),
        (3, "联合奖惩实施单位"),
        (4, "反馈时限(工作日)"),
        (5, "约束性"),
        (6, "处理措施"),
        (8, "措施编码"),
    }
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "不存在的局" in messages[(3, "联合奖惩实施单位")]
    assert "already on row 7" in messages[(8, "措施编码")]
    assert "is empty" in messages[(6, "处理措施")]


def test_catalogue_rules_are_reported_on_the_row(seed: CatalogueState) -> None:
    header, rows = measure_table(seed)
    flights = next(i for i, r in enumerate(rows) if r[0] == "restrict_flights") + 2
    result = read_measures(_edited(header, rows, flights, "联合奖惩实施单位", "教育"), seed)
    assert result.errors == [
        RowError(
            flights,
            "联合奖惩实施单位",
            "not signatories of memorandum dishonest_judgment_debtors: education",
        )
    ]


def test_header_problems_are_on_row_one(seed: CatalogueState) -> None:
    header, rows = measure_table(seed)
    renamed = ["备注" if h == "证据材料" else h for h in header]
    result = read_measures(_csv_rows(renamed, rows[:1]), seed)
    assert {(e.row, e.column, e.message) for e in result.errors} == {
        (1, "备注", "unknown column"),
        (1, "证据材料", "column missing from the header"),
    }


def test_replace_removes_the_unlisted_measures_of_the_named_memoranda(
    seed: CatalogueState,
) -> None:
    header, rows = measure_table(seed, "dishonest_judgment_debtors")
    kept = rows[:-1]
    merged = read_measures(_csv_rows(header, kept), seed, ImportMode.merge)
    assert changes_between(seed, merged.state) == ()
    replaced = read_measures(_csv_rows(header, kept), seed, ImportMode.replacing)
    changes = changes_between(seed, replaced.state)
    assert [(c.action, c.code) for c in changes] == [("removed", rows[-1][0])]


def test_departments_import_adds_and_deactivates(seed: CatalogueState) -> None:
    header, rows = department_table(seed)
    market = next(i for i, r in enumerate(rows) if r[0] == "market")
    rows[market][header.index("启用")] = "否"
    rows.append(["audit", "审计", "省", "通用", "其他", "是"])
    rows.append(["bad", "坏", "乡", "通用", "其他", "也许"])
    result = read_departments(_csv_rows(header, rows), seed)
    assert {(e.row, e.column) for e in result.errors} == {
        (len(rows) + 1, "层级"),
        (len(rows) + 1, "启用"),
    }
    result = read_departments(_csv_rows(header, rows[:-1]), seed)
    assert result.errors == []
    changes = changes_between(seed, result.state)
    assert [(c.action, c.code) for c in changes] == [("changed", "market"), ("added", "audit")]


def test_a_csv_written_by_hand_with_full_width_punctuation_reads(seed: CatalogueState) -> None:
    header, rows = measure_table(seed, "government_procurement")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["反馈时限（工作日）" if h == "反馈时限(工作日)" else h for h in header])
    row = list(rows[0])
    row[header.index("联合奖惩实施单位")] = "财政；公共资源交易管理；工业和信息化（经济和信息化）"
    writer.writerow(row)
    parsed = list(read_csv(io.BytesIO(out.getvalue().encode("utf-8"))))
    result = read_measures(parsed, seed)
    assert result.errors == []
    assert changes_between(seed, result.state) == ()
