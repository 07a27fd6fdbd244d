"""Bulk import: 20,000 rows with bad ones, a per-row report, and a retried file creating nothing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.auth.principal import Role
from shared.identifiers import make_credit_code
from shared.tabular import write_csv, write_xlsx
from tests.support.auth import TestAuthority
from tests.support.events import person_id
from tests.support.initiator import InitiatorHarness
from tests.support.kafka import wait_for

pytestmark = pytest.mark.integration

CHINESE_HEADER = [
    "主体类型",
    "统一社会信用代码",
    "主体名称",
    "名单类型",
    "备忘录编码",
    "实施事由",
    "法律依据",
    "文号",
    "证据材料",
    "认定日期",
    "起始日期",
    "截止日期",
    "法定代表人",
    "法定代表人身份证号码",
]
ROWS = 20_000
BASE = 1_000_000


@pytest.fixture
async def initiator(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> AsyncIterator[InitiatorHarness]:
    # The outbox is checked directly: no relay competing for the CPU.
    async with InitiatorHarness(database_url, bootstrap, authority, run_relay=False) as harness:
        yield harness


def _row(serial: int, base: int) -> list[str]:
    organisation = serial % 3 != 0
    subject = make_credit_code(str(base + serial)) if organisation else person_id(base + serial)
    return [
        "法人" if organisation else "自然人",
        subject,
        f"第{serial}号被执行人",
        "黑名单",
        "dishonest_judgment_debtors",
        "有履行能力而拒不履行生效法律文书确定的义务",
        "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
        f"(2026)闽01执{base + serial}号",
        "执行裁定书;送达回证",
        "2026-03-05",
        "2026-03-06",
        "2029-03-05",
        "李四" if organisation and serial % 5 == 0 else "",
        person_id(serial) if organisation and serial % 5 == 0 else "",
    ]


@dataclass
class CourtList:
    content: bytes
    bad: dict[int, str] = field(default_factory=dict)
    """spreadsheet row → the column at fault"""
    duplicates: int = 0
    with_representative: int = 0


def court_list() -> CourtList:
    """A court's list with bad rows and rows repeated from the row above."""
    rows: list[list[str]] = []
    made = CourtList(b"")
    for serial in range(ROWS):
        row = _row(serial, BASE)
        if serial % 997 == 5:
            row[1] = row[1][:-1] + ("0" if row[1][-1] != "0" else "1")
            made.bad[serial + 2] = "统一社会信用代码"
        elif serial % 1499 == 7:
            row[9] = "2026-13-40"
            made.bad[serial + 2] = "认定日期"
        elif serial % 1201 == 11 and serial - 1 + 2 not in made.bad:
            row = rows[-1]
            made.duplicates += 1
        elif row[13]:
            made.with_representative += 1
        rows.append(row)
    made.content = write_csv(CHINESE_HEADER, rows)
    return made


async def _upload(
    initiator: InitiatorHarness,
    content: bytes,
    filename: str,
    department: str = "court",
    **form: str,
) -> Any:
    return await initiator.client.post(
        "/v1/imports",
        files={"file": (filename, content)},
        data=form,
        headers=initiator.headers(department),
    )


async def _finished(
    initiator: InitiatorHarness, import_id: str, department: str = "court"
) -> dict[str, Any]:
    path = f"/v1/imports/{import_id}"
    headers = initiator.headers(department)
    progress: dict[str, Any] = {}

    async def done() -> bool:
        progress.update((await initiator.client.get(path, headers=headers)).json())
        return bool(progress["state"] != "running")

    await wait_for(done, timeout_s=90)
    return progress


async def test_a_large_list_with_bad_rows_then_the_same_file_again(
    initiator: InitiatorHarness,
) -> None:
    made = court_list()
    content, bad, duplicates = made.content, made.bad, made.duplicates
    started = await _upload(initiator, content, "法院失信被执行人名单.csv")
    assert started.status_code == 202, started.text
    first = await _finished(initiator, started.json()["import_id"])
    valid = ROWS - len(bad)
    assert first["state"] == "completed", first
    assert (first["rows_read"], first["errors"]) == (ROWS, len(bad))
    assert (first["created"], first["duplicates"]) == (valid - duplicates, duplicates)

    errors = (
        await initiator.client.get(
            f"/v1/imports/{first['import_id']}/errors", headers=initiator.headers()
        )
    ).json()["items"]
    assert {(e["row"], e["column"]) for e in errors} == set(bad.items())
    assert all(e["message"] for e in errors)
    assert await initiator.scalar("SELECT count(*) FROM designations") == valid - duplicates
    assert await initiator.scalar("SELECT count(*) FROM outbox") == valid - duplicates
    assert (
        await initiator.scalar(
            "SELECT count(*) FROM designations WHERE jsonb_array_length(responsible_persons) = 1"
        )
        == made.with_representative
    )

    retried = await _upload(initiator, content, "法院失信被执行人名单.csv")
    second = await _finished(initiator, retried.json()["import_id"])
    assert second["state"] == "completed"
    assert (second["created"], second["duplicates"], second["errors"]) == (0, valid, len(bad))
    assert await initiator.scalar("SELECT count(*) FROM designations") == valid - duplicates
    assert await initiator.scalar("SELECT count(*) FROM outbox") == valid - duplicates

    present = (
        await initiator.client.get(
            f"/v1/imports/{second['import_id']}/rows?outcome=already_present&limit=3",
            headers=initiator.headers(),
        )
    ).json()["items"]
    created = (
        await initiator.client.get(
            f"/v1/imports/{first['import_id']}/rows?outcome=created&limit=3",
            headers=initiator.headers(),
        )
    ).json()["items"]
    assert [p["row"] for p in present] == [c["row"] for c in created] == [2, 3, 4]
    assert [p["designation_id"] for p in present] == [c["designation_id"] for c in created]


async def test_an_xlsx_file_with_defaults_for_the_missing_columns(
    initiator: InitiatorHarness,
) -> None:
    header = [h for h in CHINESE_HEADER if h not in ("名单类型", "备忘录编码")] + ["备注"]
    rows = []
    for serial in range(30):
        row = _row(serial, BASE)
        del row[3:5]
        rows.append([*row, "自动导入"])
    rows[4][2] = ""  # no name
    content = write_xlsx(header, rows)
    started = await _upload(
        initiator,
        content,
        "list.xlsx",
        memorandum_code="dishonest_judgment_debtors",
        list_type="black",
    )
    assert started.status_code == 202, started.text
    done = await _finished(initiator, started.json()["import_id"])
    assert (done["format"], done["created"], done["errors"]) == ("xlsx", 29, 1)
    assert done["ignored_columns"] == ["备注"]
    errors = (
        await initiator.client.get(
            f"/v1/imports/{done['import_id']}/errors", headers=initiator.headers()
        )
    ).json()["items"]
    assert errors == [{"row": 6, "column": "主体名称", "message": "required"}]
    listed = await initiator.client.get(
        f"/v1/designations?import_id={done['import_id']}&limit=500", headers=initiator.headers()
    )
    assert len(listed.json()["items"]) == 29


async def test_files_that_cannot_be_imported(initiator: InitiatorHarness) -> None:
    missing = write_csv(["统一社会信用代码", "主体名称"], [[make_credit_code("1"), "x"]])
    response = await _upload(initiator, missing, "short.csv")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "missing columns" in response.json()["detail"]
    assert response.json()["errors"][0]["location"] == "body.file"
    for content, name in (
        ("统一社会信用代码\n".encode("gbk"), "gbk.csv"),
        (b"", "empty.csv"),
        (b"PK\x03\x04 not really a workbook", "broken.xlsx"),
        (",".join(CHINESE_HEADER).encode(), "header-only.csv"),
    ):
        response = await _upload(initiator, content, name)
        assert response.status_code == 422, (name, response.text)
    no_file = await initiator.client.post(
        "/v1/imports", json={"file": "x"}, headers=initiator.headers()
    )
    assert no_file.status_code == 422
    assert await initiator.scalar("SELECT count(*) FROM imports") == 0


async def test_import_access(initiator: InitiatorHarness) -> None:
    content = write_csv(CHINESE_HEADER, [_row(1, BASE)])
    refused = await _upload(initiator, content, "a.csv", department="court")
    assert refused.status_code == 202
    as_responder = await initiator.client.post(
        "/v1/imports",
        files={"file": ("a.csv", io.BytesIO(content))},
        headers=initiator.headers("court", Role.responder),
    )
    assert as_responder.status_code == 403
    import_id = refused.json()["import_id"]
    await _finished(initiator, import_id)
    other = await initiator.client.get(
        f"/v1/imports/{import_id}", headers=initiator.headers("market")
    )
    assert other.status_code == 403
    oversight = await initiator.client.get(
        f"/v1/imports/{import_id}", headers=initiator.headers("fgw", Role.oversight)
    )
    assert oversight.status_code == 200
    market_rows = await _upload(initiator, content, "b.csv", department="market")
    finished = await _finished(initiator, market_rows.json()["import_id"], "market")
    assert (finished["created"], finished["errors"]) == (0, 1)
