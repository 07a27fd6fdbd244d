"""Feedback fed through the real broker: every figure against counts computed from the data.

One generated scenario (designations with their lifecycles, receipts as responders send them,
times in the past) is published once for the module; each test reads one report.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.feedback.handlers.dispatch import RECEIPTS
from shared.auth.principal import Role
from shared.delivery.metrics import MESSAGES
from shared.events.receipts import ReceiptEventType
from shared.events.republish import RepublishRequested
from shared.tabular import read_csv, read_xlsx
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import seed_document
from tests.support.feedback import (
    SHANGHAI,
    RunningFeedback,
    Scenario,
    bundled,
    catalogue_events,
    department_change,
    expected_figures,
    expected_initiators,
    expected_overdue,
    generate,
    month,
    publish_all,
    running_feedback,
)
from tests.support.kafka import read_until, wait_for

pytestmark = pytest.mark.integration

AS_OF = datetime(2025, 12, 20, 12, 0, tzinfo=SHANGHAI)
FIGURES = (
    "owed",
    "acknowledged",
    "answered_late",
    "overdue",
    "waiting",
    "response_rate",
    "median_response_seconds",
    "p90_response_seconds",
    "applied",
    "not_applicable",
    "lifted",
    "enforcements",
)
KEY_FIELDS = {
    "department": "department_code",
    "region": "region",
    "list_type": "list_type",
    "memorandum": "memorandum_code",
    "measure": "measure_code",
    "month": "month",
}


@dataclass
class Fed:
    service: RunningFeedback
    scenario: Scenario
    receipts_recorded: float
    receipts_absorbed: float
    events_absorbed: float
    authority: TestAuthority

    def headers(self, *roles: Role, department: str = "oversight") -> dict[str, str]:
        return self.authority.headers(department, *(roles or (Role.oversight,)))

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.service.client.get(path, params=params, headers=self.headers())
        assert response.status_code == 200, response.text
        return response


@pytest.fixture(scope="module")
async def fed(database_url: str, bootstrap: str, authority: TestAuthority) -> AsyncIterator[Fed]:
    document = seed_document()
    changes = [
        department_change(document, "commerce", active=False),
        department_change(document, "court", region="衡水市"),
    ]
    current = copy.deepcopy(document)
    for change in changes:
        record = next(d for d in current["departments"] if d["code"] == change.code)
        record.update(change.value or {})
    scenario = generate(current, seed=7, count=28, as_of=AS_OF)
    async with running_feedback(
        database_url, bootstrap, authority, reconciliation_chunk_size=5
    ) as service:
        group = service.settings.consumer_group
        recorded = RECEIPTS.labels("recorded")._value.get()
        absorbed = RECEIPTS.labels("duplicate")._value.get()
        await publish_all(service.settings, Topic.CATALOGUE, catalogue_events(changes))
        await service.wait_catalogue(2)
        first = scenario.early | {d.id for d in scenario.lost}
        early = [r.envelope for r in scenario.receipts if r.data["designation_id"] in first]
        await publish_all(service.settings, Topic.RECEIPTS, early)
        await service.wait_consumed(2 + len(early))
        await publish_all(service.settings, Topic.DESIGNATIONS, scenario.designation_events())
        repeated_receipts = [e for e in scenario.repeated if ".receipt." in e.type]
        repeated_designations = [e for e in scenario.repeated if ".designation." in e.type]
        # the rest as responders send them, in bundles (those repeated under their own event
        # id stay single, so that their repetition is one the inbox recognises)
        single = {e.id for e in repeated_receipts}
        rest = [r for r in scenario.receipts if r.data["designation_id"] not in first]
        sent = [r.envelope for r in rest if r.envelope.id in single] + bundled(
            r for r in rest if r.envelope.id not in single
        )
        assert any(".receipt.bundle." in e.type for e in sent)
        await publish_all(
            service.settings,
            Topic.RECEIPTS,
            sent + scenario.resent + repeated_receipts + sent[-1:],
        )
        await publish_all(service.settings, Topic.DESIGNATIONS, repeated_designations)
        distinct = (
            2 + len(early) + len(sent) + len(scenario.resent) + len(scenario.designation_events())
        )
        await service.wait_consumed(distinct)

        async def all_seen() -> bool:
            seen = MESSAGES.labels(group, "processed")._value.get()
            seen += MESSAGES.labels(group, "duplicate")._value.get()
            return bool(seen >= distinct + len(scenario.repeated) + 1)

        await wait_for(all_seen, 30)
        yield Fed(
            service,
            scenario,
            RECEIPTS.labels("recorded")._value.get() - recorded,
            RECEIPTS.labels("duplicate")._value.get() - absorbed,
            MESSAGES.labels(group, "duplicate")._value.get(),
            authority,
        )


def _key(row: dict[str, Any], group_by: list[str]) -> tuple[Any, ...]:
    return tuple(row[KEY_FIELDS[d]] for d in group_by)


def _assert_rows_match(
    rows: list[dict[str, Any]], expected: dict[tuple[Any, ...], dict[str, Any]], group_by: list[str]
) -> None:
    got = {_key(row, group_by): row for row in rows}
    assert set(got) == set(expected)
    for key, figures in expected.items():
        for name in FIGURES:
            assert got[key][name] == figures[name], (key, name, got[key][name], figures[name])


async def test_every_department_figure_matches_the_generated_data(fed: Fed) -> None:
    report = (await fed.get("/v1/statistics/departments", as_of=AS_OF.isoformat())).json()
    expected = expected_figures(fed.scenario, ["department"])
    _assert_rows_match(report["rows"], expected, ["department"])
    departments = {row["department_code"] for row in report["rows"]}
    assert "commerce" not in departments  # inactive since catalogue version 2
    names = {row["department_code"]: row["department_name"] for row in report["rows"]}
    assert names["court"] == "人民法院"
    assert sum(f["overdue"] for f in expected.values()) > 0
    assert sum(f["answered_late"] for f in expected.values()) > 0
    assert sum(f["waiting"] for f in expected.values()) > 0


@pytest.mark.parametrize(
    "group_by",
    [
        ["list_type"],
        ["memorandum"],
        ["month"],
        ["measure"],
        ["region"],
        ["department", "month"],
        ["list_type", "measure"],
        ["region", "list_type", "month"],
    ],
)
async def test_figures_by_every_dimension_match(fed: Fed, group_by: list[str]) -> None:
    params: dict[str, Any] = {"as_of": AS_OF.isoformat(), "group_by": group_by}
    response = await fed.service.client.get(
        "/v1/statistics/departments", params=params, headers=fed.headers()
    )
    assert response.status_code == 200, response.text
    _assert_rows_match(response.json()["rows"], expected_figures(fed.scenario, group_by), group_by)


async def test_regions_follow_the_catalogue(fed: Fed) -> None:
    report = (await fed.get("/v1/statistics/regions", as_of=AS_OF.isoformat())).json()
    expected = expected_figures(fed.scenario, ["region"])
    _assert_rows_match(report["rows"], expected, ["region"])
    assert {row["region"] for row in report["rows"]} == {"通用", "衡水市"}


async def test_filters_narrow_the_figures(fed: Fed) -> None:
    expected = expected_figures(fed.scenario, ["department", "list_type", "month"])
    months = sorted({key[2] for key in expected})
    report = (
        await fed.get(
            "/v1/statistics/departments",
            as_of=AS_OF.isoformat(),
            list_type="red",
            month_from=months[1],
            month_to=months[-2],
        )
    ).json()
    narrowed: dict[tuple[Any, ...], dict[str, int]] = {}
    for (department, list_type, when), figures in expected.items():
        if list_type == "red" and months[1] <= when <= months[-2]:
            row = narrowed.setdefault(
                (department,), dict.fromkeys(("owed", "overdue", "applied"), 0)
            )
            for name in row:
                row[name] += figures[name]
    got = {(row["department_code"],): row for row in report["rows"]}
    assert set(got) == set(narrowed)
    for key, figures in narrowed.items():
        for name, value in figures.items():
            assert got[key][name] == value


async def test_figures_as_they_stood_forty_days_earlier(fed: Fed) -> None:
    earlier = AS_OF - timedelta(days=40)
    report = (await fed.get("/v1/statistics/departments", as_of=earlier.isoformat())).json()
    _assert_rows_match(
        report["rows"], expected_figures(fed.scenario, ["department"], earlier), ["department"]
    )


async def test_each_receipt_is_counted_once(fed: Fed) -> None:
    stored = await fed.service.scalar("SELECT count(*) FROM receipts")
    assert stored == len(fed.scenario.receipts)
    assert fed.receipts_recorded == len(fed.scenario.receipts)
    assert fed.receipts_absorbed == len(fed.scenario.resent)  # same receipt id, new event id
    assert fed.events_absorbed >= len(fed.scenario.repeated)  # same event id: the inbox
    resent_ids = {e.data["receipt_id"] for e in fed.scenario.resent}
    kinds = await fed.service.scalar(
        "SELECT count(*) FROM receipts WHERE receipt_id = ANY(CAST(:ids AS uuid[]))",
        ids=list(resent_ids),
    )
    assert kinds == len(resent_ids)


async def test_summary_totals_and_ranking(fed: Fed) -> None:
    summary = (await fed.get("/v1/reports/summary", as_of=AS_OF.isoformat())).json()
    totals = expected_figures(fed.scenario, [])[()]
    for name in FIGURES:
        assert summary["totals"][name] == totals[name], name
    expected = expected_figures(fed.scenario, ["department"])
    _assert_rows_match(summary["departments"], expected, ["department"])
    ranks = [row["rank"] for row in summary["departments"]]
    assert ranks == list(range(1, len(expected) + 1))
    rates = [row["response_rate"] for row in summary["departments"]]
    assert rates == sorted(rates, reverse=True)


async def test_initiating_departments(fed: Fed) -> None:
    report = (await fed.get("/v1/statistics/initiators")).json()
    expected = expected_initiators(fed.scenario)
    got = {row["initiating_department"]: row for row in report["rows"]}
    assert set(got) == set(expected)
    for code, figures in expected.items():
        for name, value in figures.items():
            assert got[code][name] == value, (code, name)
    assert sum(f["objections_upheld"] for f in expected.values()) >= 2
    by_month = (await fed.get("/v1/statistics/initiators", by_month="true")).json()
    made: dict[tuple[str, str], int] = {}
    for designation in fed.scenario.designations:
        key = (designation.state["initiating_department"], month(designation.reached_at))
        made[key] = made.get(key, 0) + 1
    assert {
        (r["initiating_department"], r["month"]): r["designations"] for r in by_month["rows"]
    } == made


async def test_overdue_list_names_exactly_the_unanswered_past_deadline(fed: Fed) -> None:
    report = (await fed.get("/v1/overdue", as_of=AS_OF.isoformat())).json()
    expected = expected_overdue(fed.scenario, AS_OF)
    got = {
        d["department_code"]: {item["designation_id"] for item in d["designations"]}
        for d in report["departments"]
    }
    assert got == expected
    assert report["overdue"] == sum(len(ids) for ids in expected.values())
    counts = [d["overdue"] for d in report["departments"]]
    assert counts == sorted(counts, reverse=True)
    early = fed.scenario.early
    answered_early = {
        (r.department, r.data["designation_id"])
        for r in fed.scenario.receipts
        if r.kind is ReceiptEventType.received and r.data["designation_id"] in early
    }
    assert answered_early  # receipts that arrived before their designation answer it
    for department, designation in answered_early:
        assert designation not in got.get(department, set())
    first = report["departments"][0]
    assert all(item["due_date"] < AS_OF.date().isoformat() for item in first["designations"])


async def test_overdue_list_limit_and_department_filter(fed: Fed) -> None:
    expected = expected_overdue(fed.scenario, AS_OF)
    department = max(expected, key=lambda code: len(expected[code]))
    report = (
        await fed.get("/v1/overdue", as_of=AS_OF.isoformat(), department=department, limit=2)
    ).json()
    (only,) = report["departments"]
    assert only["department_code"] == department
    assert only["overdue"] == len(expected[department])
    assert len(only["designations"]) == 2
    assert only["complete"] is False


async def test_exports_of_ranking_and_overdue_list(fed: Fed) -> None:
    expected = expected_figures(fed.scenario, ["department"])
    csv = await fed.get("/v1/reports/summary", as_of=AS_OF.isoformat(), format="csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    rows = list(read_csv(io.BytesIO(csv.content)))
    assert {row.values["部门代码"]: int(row.values["应响应数"]) for row in rows} == {
        key[0]: figures["owed"] for key, figures in expected.items()
    }
    assert {row.values["部门代码"]: int(row.values["逾期未反馈数"]) for row in rows} == {
        key[0]: figures["overdue"] for key, figures in expected.items()
    }
    xlsx = await fed.get("/v1/overdue", as_of=AS_OF.isoformat(), format="xlsx")
    sheet = list(read_xlsx(io.BytesIO(xlsx.content)))
    overdue = expected_overdue(fed.scenario, AS_OF)
    pairs = {(row.values["部门代码"], row.values["认定编号"]) for row in sheet}
    assert pairs == {(code, ident) for code, ids in overdue.items() for ident in ids}
    assert {"部门名称", "反馈截止日", "逾期工作日"} <= set(sheet[0].values)


async def test_public_statistics_are_aggregates_only(fed: Fed) -> None:
    response = await fed.service.client.get(
        "/v1/public/statistics", params={"as_of": AS_OF.isoformat()}
    )
    assert response.status_code == 200
    body = response.json()
    expected = expected_figures(fed.scenario, ["department"])
    _assert_rows_match(body["departments"], expected, ["department"])
    assert body["designations"] == len(fed.scenario.designations)
    by_month = expected_figures(fed.scenario, ["month"])
    assert {m["month"]: m["owed"] for m in body["months"]} == {
        key[0]: f["owed"] for key, f in by_month.items()
    }
    text = json.dumps(body, ensure_ascii=False)
    for designation in fed.scenario.designations:
        assert designation.id not in text
        assert designation.state["subject"]["id"] not in text
        assert designation.state["subject"]["name"] not in text
    csv = await fed.service.client.get("/v1/public/statistics", params={"format": "csv"})
    assert csv.status_code == 200
    assert "部门名称" in csv.content.decode("utf-8-sig")


async def test_typical_cases_report_of_a_month(fed: Fed) -> None:
    enforcements = [r for r in fed.scenario.receipts if r.kind is ReceiptEventType.enforcement]
    months: dict[str, list[Any]] = {}
    for receipt in enforcements:
        months.setdefault(month(receipt.occurred_at), []).append(receipt)
    busiest = max(months, key=lambda m: len(months[m]))
    report = (await fed.get("/v1/reports/typical-cases", month=busiest)).json()
    year, number = (int(part) for part in busiest.split("-"))
    following = f"{year + number // 12}-{number % 12 + 1:02d}-08"
    assert report["due_date"] == following
    assert "8日前" in report["basis"]
    assert report["total"] == len(months[busiest])
    assert {c["receipt_id"] for c in report["cases"]} == {
        r.data["receipt_id"] for r in months[busiest]
    }
    per_department: dict[str, int] = {}
    for receipt in months[busiest]:
        per_department[receipt.department] = per_department.get(receipt.department, 0) + 1
    assert {d["department_code"]: d["total"] for d in report["by_department"]} == per_department
    known = {d.id: d for d in fed.scenario.designations + fed.scenario.lost}
    for case in report["cases"]:
        designation = known[case["designation_id"]]
        if designation in fed.scenario.lost:
            assert case["subject_name"] is None
        elif designation.state["subject"]["kind"] == "person":
            assert "*" in case["subject_id"]
            assert case["subject_name"] != designation.state["subject"]["name"]
        else:
            assert case["subject_id"] == designation.state["subject"]["id"]
    xlsx = await fed.get("/v1/reports/typical-cases", month=busiest, format="xlsx")
    assert len(list(read_xlsx(io.BytesIO(xlsx.content)))) == len(months[busiest])
    empty = (await fed.get("/v1/reports/typical-cases", month="2019-01")).json()
    assert empty["total"] == 0
    assert empty["due_date"] == "2019-02-08"


async def test_reconciliation_publishes_republish_requests_for_the_overdue(fed: Fed) -> None:
    settings = fed.service.settings
    topic = settings.topic(Topic.REPUBLISH_REQUESTS)
    overdue_ids = set().union(*expected_overdue(fed.scenario, AS_OF).values())
    response = await fed.service.client.post(
        "/v1/reconciliation",
        json={"reason": "overdue_receipt", "as_of": AS_OF.isoformat()},
        headers=fed.headers(Role.admin, department="fgw"),
    )
    assert response.status_code == 202, response.text
    result = response.json()
    assert result["designations"] == len(overdue_ids)
    assert len(result["request_ids"]) == -(-len(overdue_ids) // 5)

    def requests(records: list[Any]) -> list[tuple[bytes, RepublishRequested]]:
        return [
            (r.key, RepublishRequested.model_validate(json.loads(r.value)["data"])) for r in records
        ]

    records = await read_until(
        fed.service.settings.kafka_bootstrap_servers,
        topic,
        lambda found: len(found) >= len(result["request_ids"]),
    )
    published = requests(records)
    assert {str(r.request_id) for _, r in published} == set(result["request_ids"])
    named = [str(i) for _, r in published for i in r.designation_ids or ()]
    assert sorted(named) == sorted(overdue_ids)  # each overdue designation once
    for key, request in published:
        assert request.reason == "overdue_receipt"
        assert len(request.designation_ids or ()) <= 5
        assert key.decode() == str((request.designation_ids or ())[0])

    lost = {d.id for d in fed.scenario.lost}
    unanswered = {
        d.id
        for d in fed.scenario.designations
        if set(d.owing)
        - {
            r.department
            for r in fed.scenario.receipts
            if r.kind is ReceiptEventType.received and r.data["designation_id"] == d.id
        }
    }
    response = await fed.service.client.post(
        "/v1/reconciliation",
        json={"reason": "broker_data_loss", "as_of": AS_OF.isoformat()},
        headers=fed.headers(),
    )
    assert response.status_code == 202
    loss = response.json()
    assert loss["designations"] == len(unanswered | lost)
    records = await read_until(
        fed.service.settings.kafka_bootstrap_servers,
        topic,
        lambda found: len(found) >= len(result["request_ids"]) + len(loss["request_ids"]),
    )
    data_loss = [r for _, r in requests(records) if r.reason == "broker_data_loss"]
    assert {str(i) for r in data_loss for i in r.designation_ids or ()} == unanswered | lost
