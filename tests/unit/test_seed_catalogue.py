"""The seed catalogue (联合奖惩目录清单) derived from the five seed documents.

`services/registry/seed_data/catalogue.json` is what the demo and the tests load; these checks
keep it well formed: every key present and typed, every code unique and resolvable, every enum
valid, both list types present, each seed 000-004 a source, and all text simplified Chinese.
"""

import json
import re
from collections import Counter
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import pytest

pytestmark = pytest.mark.unit

CODE_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

TOP_KEYS = {"version_note", "departments", "memoranda", "measures"}
DEPARTMENT_KEYS = {"code", "name", "level", "region", "kind"}
MEMORANDUM_KEYS = {
    "code",
    "applies_to_all",
    "title",
    "list_type",
    "legal_basis",
    "designating_departments",
    "signatory_departments",
    "subject_types",
}
MEASURE_KEYS = {
    "code",
    "memorandum",
    "administrative_unit",
    "title",
    "reason",
    "legal_basis",
    "implementing_departments",
    "content",
    "evidence",
    "category",
    "binding",
    "subject_types",
    "scenarios",
    "response_deadline_workdays",
    "source",
}
SOURCE_KEYS = {"seed", "excerpt"}

LEVELS = {"省", "市", "区县"}
KINDS = {"综合", "司法", "金融", "市场监管", "行业主管", "税务", "其他"}
LIST_TYPES = {"black", "red"}
BLACK_CATEGORIES = {"administrative", "market", "industry", "social"}
RED_CATEGORIES = {
    "administrative_facilitation",
    "market_incentive",
    "honour_publicity",
    "financial_support",
}
BINDINGS = {"binding", "discretionary"}
SUBJECT_TYPES = {
    "organisation",
    "person",
    "legal_representative",
    "principal",
    "directly_responsible",
}
RESPONSIBLE_PERSONS = {"legal_representative", "principal", "directly_responsible"}
SCENARIOS = {
    "administrative_approval",
    "bidding",
    "government_procurement",
    "fiscal_funds",
    "honours",
    "daily_inspection",
    "financing_credit",
    "travel_consumption",
    "licensing",
    "employment",
    "market_access",
    "public_resource_trading",
}
SEEDS = {"000", "001", "002", "003", "004"}

# Characters that exist only in traditional script (each has a distinct simplified form and is
# not itself used in simplified Chinese). Seeds 000 and 003 are traditional; none may leak.
TRADITIONAL_ONLY = set(
    "聯懲懸會監財稅與為國關實機製對應條據門業誠務體審參領資項產貸發個樣處總員從書證號區縣廳"
    "鐵議勵強鄉統設導續舉報進讓違圍價質衛環車辦險債歸檢構廣黨眾規則協團學場優費購銀錄廠輕這"
    "後準彙係註責認記紅紀護權開風電網決執罰範齊嚴級組織納經綠絡義聲譽譴勸評諾請訊訴訟軌"
    "飛館賓購買東榮標頻點礎稱節約給轉銷戶掛時專將慮內冊單動檔營"
)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    text = (files("services.registry.seed_data") / "catalogue.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def test_top_level_shape(catalogue: dict[str, Any]) -> None:
    assert set(catalogue) == TOP_KEYS
    assert _nonempty_str(catalogue["version_note"])
    for key in ("departments", "memoranda", "measures"):
        assert isinstance(catalogue[key], list)
        assert catalogue[key], key
        assert all(isinstance(item, dict) for item in catalogue[key])


def test_departments_keys_and_types(catalogue: dict[str, Any]) -> None:
    for dept in catalogue["departments"]:
        assert set(dept) == DEPARTMENT_KEYS, dept
        assert all(_nonempty_str(dept[k]) for k in DEPARTMENT_KEYS), dept
        assert dept["level"] in LEVELS, dept
        assert dept["kind"] in KINDS, dept
        assert dept["region"] == "通用", dept


def test_memoranda_keys_and_types(catalogue: dict[str, Any]) -> None:
    for memo in catalogue["memoranda"]:
        assert set(memo) == MEMORANDUM_KEYS, memo
        for key in ("code", "title", "legal_basis"):
            assert _nonempty_str(memo[key]), (memo["code"], key)
        assert memo["list_type"] in LIST_TYPES, memo["code"]
        for key in ("designating_departments", "signatory_departments", "subject_types"):
            assert _is_str_list(memo[key]), (memo["code"], key)
            assert memo[key], (memo["code"], key)
            assert len(set(memo[key])) == len(memo[key]), (memo["code"], key)
        assert set(memo["subject_types"]) <= SUBJECT_TYPES, memo["code"]


def test_measures_keys_and_types(catalogue: dict[str, Any]) -> None:
    for measure in catalogue["measures"]:
        code = measure.get("code")
        assert set(measure) == MEASURE_KEYS, code
        for key in (
            "code",
            "memorandum",
            "administrative_unit",
            "title",
            "reason",
            "legal_basis",
            "content",
            "evidence",
            "category",
            "binding",
        ):
            assert _nonempty_str(measure[key]), (code, key)
        for key in ("implementing_departments", "subject_types"):
            assert _is_str_list(measure[key]), (code, key)
            assert measure[key], (code, key)
            assert len(set(measure[key])) == len(measure[key]), (code, key)
        assert _is_str_list(measure["scenarios"]), code
        assert len(set(measure["scenarios"])) == len(measure["scenarios"]), code
        deadline = measure["response_deadline_workdays"]
        assert isinstance(deadline, int), code
        assert not isinstance(deadline, bool), code
        assert 1 <= deadline <= 30, code
        source = measure["source"]
        assert isinstance(source, dict), code
        assert set(source) == SOURCE_KEYS, code
        assert _nonempty_str(source["seed"]), code
        assert _nonempty_str(source["excerpt"]), code


def test_codes_are_unique_snake_case(catalogue: dict[str, Any]) -> None:
    for key in ("departments", "memoranda", "measures"):
        codes = [item["code"] for item in catalogue[key]]
        duplicates = [c for c, n in Counter(codes).items() if n > 1]
        assert not duplicates, (key, duplicates)
        bad = [c for c in codes if not CODE_RE.match(c)]
        assert not bad, (key, bad)


def test_references_resolve(catalogue: dict[str, Any]) -> None:
    departments = {d["code"] for d in catalogue["departments"]}
    memoranda = {m["code"]: m for m in catalogue["memoranda"]}
    for memo in catalogue["memoranda"]:
        assert set(memo["designating_departments"]) <= departments, memo["code"]
        assert set(memo["signatory_departments"]) <= departments, memo["code"]
        assert set(memo["designating_departments"]) <= set(memo["signatory_departments"])
    for measure in catalogue["measures"]:
        code = measure["code"]
        assert measure["memorandum"] in memoranda, code
        assert measure["administrative_unit"] in departments, code
        assert set(measure["implementing_departments"]) <= departments, code
        memo = memoranda[measure["memorandum"]]
        # whoever implements a measure has signed its memorandum, and the measure reaches no
        # subject type its memorandum does not cover
        assert set(measure["implementing_departments"]) <= set(memo["signatory_departments"])
        assert measure["administrative_unit"] in memo["signatory_departments"], code
        assert set(measure["subject_types"]) <= set(memo["subject_types"]), code


def test_every_memorandum_has_measures(catalogue: dict[str, Any]) -> None:
    used = Counter(m["memorandum"] for m in catalogue["measures"])
    empty = [m["code"] for m in catalogue["memoranda"] if used[m["code"]] == 0]
    assert not empty


def test_enums_valid(catalogue: dict[str, Any]) -> None:
    list_type = {m["code"]: m["list_type"] for m in catalogue["memoranda"]}
    for measure in catalogue["measures"]:
        code = measure["code"]
        allowed = (
            BLACK_CATEGORIES if list_type[measure["memorandum"]] == "black" else RED_CATEGORIES
        )
        assert measure["category"] in allowed, code
        assert measure["binding"] in BINDINGS, code
        assert set(measure["subject_types"]) <= SUBJECT_TYPES, code
        assert set(measure["scenarios"]) <= SCENARIOS, code
        assert measure["source"]["seed"] in SEEDS, code


def test_red_and_black_both_present(catalogue: dict[str, Any]) -> None:
    memo_types = Counter(m["list_type"] for m in catalogue["memoranda"])
    assert memo_types["black"] >= 3
    assert memo_types["red"] >= 3
    list_type = {m["code"]: m["list_type"] for m in catalogue["memoranda"]}
    measure_types = Counter(list_type[m["memorandum"]] for m in catalogue["measures"])
    assert measure_types["black"] > 0
    assert measure_types["red"] > 0
    categories = {m["category"] for m in catalogue["measures"]}
    assert categories >= BLACK_CATEGORIES | RED_CATEGORIES
    assert {m["binding"] for m in catalogue["measures"]} == BINDINGS


def test_every_seed_is_a_source(catalogue: dict[str, Any]) -> None:
    assert {m["source"]["seed"] for m in catalogue["measures"]} == SEEDS


def test_named_memoranda_present(catalogue: dict[str, Any]) -> None:
    codes = {m["code"] for m in catalogue["memoranda"]}
    assert {"dishonest_judgment_debtors", "government_procurement", "finance_related"} <= codes
    memo = next(m for m in catalogue["memoranda"] if m["code"] == "dishonest_judgment_debtors")
    assert memo["list_type"] == "black"
    assert memo["designating_departments"] == ["court"]


def test_punishment_reaches_responsible_persons(catalogue: dict[str, Any]) -> None:
    # 落实到人: personal measures reach the legal representative, principal and directly
    # responsible persons of a black-listed organisation
    by_code = {m["code"]: m for m in catalogue["measures"]}
    for code in ("restrict_flights", "restrict_high_grade_trains", "restrict_exit"):
        assert set(by_code[code]["subject_types"]) >= RESPONSIBLE_PERSONS, code
        assert "travel_consumption" in by_code[code]["scenarios"], code
    executive = by_code["restrict_serving_as_executive"]
    assert set(executive["subject_types"]) >= RESPONSIBLE_PERSONS
    assert executive["memorandum"] == "dishonest_judgment_debtors"
    reaching = [m for m in catalogue["measures"] if RESPONSIBLE_PERSONS & set(m["subject_types"])]
    assert len(reaching) >= 5


def test_text_is_simplified_chinese(catalogue: dict[str, Any]) -> None:
    offending = {
        text: sorted(set(text) & TRADITIONAL_ONLY)
        for text in _strings(catalogue)
        if set(text) & TRADITIONAL_ONLY
    }
    assert not offending


def test_traditional_list_is_disjoint_from_simplified_forms() -> None:
    # guard against a typo in the list above flagging a legitimate simplified character
    simplified = set("联惩悬会监财税与为国关实机制对应条据门业诚务体审参领资项产贷发个样处")
    assert not (simplified & TRADITIONAL_ONLY)


def test_only_the_general_memoranda_apply_to_every_designation(
    catalogue: dict[str, Any],
) -> None:
    general = {m["code"]: m["list_type"] for m in catalogue["memoranda"] if m["applies_to_all"]}
    assert general == {"serious_dishonesty_general": "black", "honest_exemplars": "red"}
