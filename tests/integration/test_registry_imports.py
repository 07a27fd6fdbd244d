"""Catalogue files through the API: export, import unchanged, import a change, reject bad rows."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openpyxl import load_workbook

from shared.tabular import read_csv, write_csv
from tests.support.registry import RegistryUnderTest, running_registry

pytestmark = pytest.mark.integration

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def registry(database_url: str, bootstrap: str) -> AsyncIterator[RegistryUnderTest]:
    async with running_registry(database_url, bootstrap) as under_test:
        await under_test.seed()
        yield under_test


async def _import(
    registry: RegistryUnderTest,
    content: bytes,
    filename: str,
    sheet: str = "measures",
    **params: str,
) -> tuple[int, dict[str, Any]]:
    media = XLSX if filename.endswith(".xlsx") else "text/csv"
    response = await registry.client.post(
        f"/v1/catalogue/import/{sheet}",
        files={"file": (filename, content, media)},
        params=params,
        headers=await registry.admin_headers(),
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_round_trip_changes_nothing(registry: RegistryUnderTest, file_format: str) -> None:
    before = (await registry.client.get("/v1/catalogue")).json()
    for sheet in ("measures", "departments"):
        exported = await registry.client.get(
            f"/v1/catalogue/export/{sheet}", params={"format": file_format}
        )
        assert exported.status_code == 200
        assert f"{sheet}-v1.{file_format}" in exported.headers["content-disposition"]
        status, outcome = await _import(registry, exported.content, f"{sheet}.{file_format}", sheet)
        assert status == 200, outcome
        assert outcome["published"] is False
        assert outcome["changes"] == []
        assert outcome["version"] == 1
    assert (await registry.client.get("/v1/catalogue")).json() == before


async def test_an_edited_xlsx_publishes_exactly_its_change(registry: RegistryUnderTest) -> None:
    exported = await registry.client.get("/v1/catalogue/export/measures", params={"format": "xlsx"})
    workbook = load_workbook(io.BytesIO(exported.content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "restrict_flights")
    row[header.index("反馈时限(工作日)")].value = 2
    row[header.index("措施内容")].value = "限制乘坐飛機（含公務機）"
    edited = io.BytesIO()
    workbook.save(edited)

    status, dry = await _import(registry, edited.getvalue(), "edited.xlsx", dry_run="true")
    assert status == 200
    assert dry["dry_run"]
    assert not dry["published"]
    assert (await registry.client.get("/v1/catalogue/versions")).json()["total"] == 1

    status, outcome = await _import(registry, edited.getvalue(), "edited.xlsx")
    assert status == 200, outcome
    assert outcome["version"] == 2
    assert outcome["published"]
    assert outcome["counts"] == {"added": 0, "changed": 1, "removed": 0}
    measure = (await registry.client.get("/v1/measures/restrict_flights")).json()
    assert measure["response_deadline_workdays"] == 2
    assert measure["content"] == "限制乘坐飞机(含公务机)"
    versions = (await registry.client.get("/v1/catalogue/versions")).json()
    assert versions["items"][0]["event_key"] == "catalogue"


async def test_bad_rows_are_reported_and_nothing_is_imported(registry: RegistryUnderTest) -> None:
    exported = await registry.client.get("/v1/catalogue/export/measures")
    rows = list(read_csv(io.BytesIO(exported.content)))
    header = list(rows[0].values)
    table = [list(r.values.values()) for r in rows]
    table[0][header.index("措施内容")] = "内容已修改"  # a good change that must not be applied
    table[2][header.index("行政单位")] = "不存在的委员会"
    table[4][header.index("措施类别")] = "惩罚性"
    table[9][header.index("适用对象")] = ""
    status, problem = await _import(registry, write_csv(header, table), "bad.csv")
    assert status == 422
    assert problem["detail"] == "3 error(s) in the file; nothing was imported"
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [
        (4, "行政单位"),
        (6, "措施类别"),
        (11, "适用对象"),
    ]
    assert problem["errors"][0]["location"] == "row 4, column 行政单位"
    assert (await registry.client.get("/v1/catalogue/versions")).json()["total"] == 1
    first = (await registry.client.get(f"/v1/measures/{table[0][0]}")).json()
    assert first["content"] != "内容已修改"

    status, problem = await _import(registry, b"\x89PNG\r\n not a table", "picture.csv")
    assert status == 422
    assert problem["errors"][0]["row"] == 1
