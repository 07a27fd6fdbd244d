"""What the catalogue admits, and how an import row (Chinese or English headers) is read."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.initiator.domain.admission import admit
from services.initiator.domain.designation import NewDesignation
from services.initiator.domain.import_columns import (
    ColumnMap,
    HeaderError,
    RowContext,
    RowError,
    parse_date,
    parse_moment,
    parse_row,
)
from shared.catalogue import Catalogue
from shared.identifiers import make_credit_code
from tests.support.events import person_id, seed_document

pytestmark = pytest.mark.unit

ORG = make_credit_code("778899")
LEGAL_REP = person_id(4242)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.from_document(seed_document())


def test_the_catalogue_admits_a_court_black_listing(catalogue: Catalogue) -> None:
    admission = admit(
        catalogue,
        "court",
        "dishonest_judgment_debtors",
        "black",
        "organisation",
        ["legal_representative"],
    )
    assert admission.admitted


def test_what_the_catalogue_refuses(catalogue: Catalogue) -> None:
    unknown = admit(catalogue, "court", "no_such_memo", "black", "person")
    assert [v.field for v in unknown.violations] == ["memorandum_code"]
    wrong_list = admit(catalogue, "court", "dishonest_judgment_debtors", "red", "person")
    assert [v.field for v in wrong_list.violations] == ["list_type"]
    assert "is a black list" in wrong_list.violations[0].message
    not_designating = admit(catalogue, "market", "dishonest_judgment_debtors", "black", "person")
    assert not_designating.violations == ()
    assert not_designating.forbidden is not None
    assert "'market' is not a designating department" in not_designating.forbidden
    person_on_org_memo = admit(catalogue, "pboc", "finance_related", "black", "person")
    assert [v.field for v in person_on_org_memo.violations] == ["subject.kind"]


def test_responsible_persons_are_reached_through_the_general_memoranda(
    catalogue: Catalogue,
) -> None:
    # finance_related reaches organisations only, but the general black memorandum reaches people.
    assert admit(
        catalogue, "pboc", "finance_related", "black", "organisation", ["principal"]
    ).admitted
    # No red memorandum reaches a legal representative.
    red = admit(catalogue, "tax", "tax_credit_a", "red", "organisation", ["legal_representative"])
    assert [v.field for v in red.violations] == ["responsible_persons.0.role"]


CHINESE = {
    "主体类型": "法人",
    "统一社会信用代码": ORG,
    "主体名称": "某某建设有限公司",
    "名单类型": "黑名单",
    "备忘录编码": "dishonest_judgment_debtors",
    "实施事由": "拒不履行生效法律文书确定的义务",
    "法律依据": "《民事诉讼法》第二百六十二条",
    "文号": "（2026）闽01执５号",
    "证据材料": "执行裁定书；送达回证",
    "认定日期": "2026年3月5日",
    "起始日期": "2026/3/6",
    "截止日期": "2029-03-05",
    "法定代表人": "李四",
    "法定代表人身份证号码": LEGAL_REP,
}


def _parse(
    values: dict[str, str], catalogue: Catalogue, department: str = "court"
) -> NewDesignation | list[RowError]:
    columns = ColumnMap.from_header(values.keys())
    return parse_row(7, values, columns, RowContext(catalogue, department))


def test_a_row_with_chinese_headers(catalogue: Catalogue) -> None:
    draft = _parse(CHINESE, catalogue)
    assert isinstance(draft, NewDesignation)
    assert draft.initiating_department == "court"
    assert draft.subject.kind == "organisation"
    assert draft.subject.id == ORG
    assert draft.document_number == "(2026)闽01执5号"
    assert draft.evidence == ("执行裁定书", "送达回证")
    assert draft.decided_at == datetime(2026, 3, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert (draft.period_start, draft.period_end) == (date(2026, 3, 6), date(2029, 3, 5))
    assert [(p.role, p.id, p.name) for p in draft.responsible_persons] == [
        ("legal_representative", LEGAL_REP, "李四")
    ]


def test_english_headers_in_any_case_and_spacing(catalogue: Catalogue) -> None:
    values = {
        "Subject ID": person_id(77),
        "subject_name": "王五",
        "LIST_TYPE": "black",
        "memorandum code": "dishonest_judgment_debtors",
        "reason": "拒不履行",
        "legal_basis": "《民事诉讼法》",
        "document_number": "(2026)闽01执6号",
        "decided_at": "2026-03-05T16:30:00+08:00",
        "period_start": "20260306",
        "period_end": "",
    }
    draft = _parse(values, catalogue)
    assert isinstance(draft, NewDesignation)
    assert draft.subject.kind == "person"
    assert draft.period_end is None


def test_every_problem_of_a_row_is_reported_by_its_column(catalogue: Catalogue) -> None:
    values = {
        **CHINESE,
        "统一社会信用代码": ORG[:-1] + ("0" if ORG[-1] != "0" else "1"),
        "名单类型": "灰名单",
        "认定日期": "yesterday",
        "截止日期": "2020-01-01",
        "实施事由": "",
        "法定代表人身份证号码": f"{LEGAL_REP};{person_id(5)}",
    }
    errors = _parse(values, catalogue)
    assert isinstance(errors, list)
    assert {(e.row, e.column) for e in errors} == {
        (7, "统一社会信用代码"),
        (7, "名单类型"),
        (7, "认定日期"),
        (7, "截止日期"),
        (7, "实施事由"),
        (7, "法定代表人身份证号码"),
    }
    messages = {e.column: e.message for e in errors}
    assert "check digit" in messages["统一社会信用代码"]
    assert messages["实施事由"] == "required"
    assert "1 names but 2 ID numbers" in messages["法定代表人身份证号码"]


def test_catalogue_refusals_are_row_errors(catalogue: Catalogue) -> None:
    errors = _parse(CHINESE, catalogue, department="market")
    assert isinstance(errors, list)
    assert [e.column for e in errors] == ["备忘录编码"]
    person = {**CHINESE, "主体类型": "自然人", "统一社会信用代码": person_id(9)}
    errors = _parse(person, catalogue)
    assert isinstance(errors, list)
    assert [(e.column, e.message) for e in errors] == [
        ("法定代表人身份证号码", "responsible persons are named only for organisations")
    ]


def test_header_problems() -> None:
    with pytest.raises(HeaderError) as missing:
        ColumnMap.from_header(["统一社会信用代码", "主体名称", "foo"])
    assert "missing columns" in missing.value.messages[0]
    assert "document_number" in missing.value.messages[0]
    with pytest.raises(HeaderError, match="both give subject_id"):
        ColumnMap.from_header([*CHINESE, "subject_id"])
    relaxed = ColumnMap.from_header(
        [k for k in CHINESE if k not in ("名单类型", "备忘录编码")] + ["备注"],
        defaults=["list_type", "memorandum_code"],
    )
    assert relaxed.ignored == ("备注",)


def test_dates_as_offices_write_them() -> None:
    expected = date(2026, 1, 5)
    for text in (
        "2026-01-05",
        "2026/1/5",
        "2026年1月5日",
        "20260105",
        "2026.01.05",
        "２０２６-01-05",
    ):
        assert parse_date(text) == expected, text
    assert parse_date("2026-02-30") is None
    assert parse_moment("2026-01-05 10:30") == datetime(
        2026, 1, 5, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai")
    )


def test_dates_out_of_range_and_future_decisions(catalogue: Catalogue) -> None:
    errors = _parse({**CHINESE, "认定日期": "2099-01-01", "截止日期": "9999-12-31"}, catalogue)
    assert isinstance(errors, list)
    messages = {e.column: e.message for e in errors}
    assert messages == {
        "认定日期": "decided_at lies in the future",
        "截止日期": "period_end must lie between 1990-01-01 and 2199-12-31",
    }
