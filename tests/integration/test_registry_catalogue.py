"""The registry's catalogue API on a real database: the seed, lists, versions, diffs, drafts,
and who may write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.auth.principal import Role
from shared.catalogue import Catalogue
from tests.support.events import seed_document
from tests.support.registry import RegistryUnderTest, running_registry

pytestmark = pytest.mark.integration

SEEDS = ("000", "001", "002", "003", "004")


@pytest.fixture
async def registry(database_url: str, bootstrap: str) -> AsyncIterator[RegistryUnderTest]:
    async with running_registry(database_url, bootstrap) as under_test:
        yield under_test


async def test_the_seed_loads_once_and_lists_the_measures_of_every_seed(
    registry: RegistryUnderTest,
) -> None:
    assert (await registry.client.get("/v1/catalogue")).status_code == 404
    assert await registry.seed() == 1
    assert await registry.seed() == 1
    client = registry.client

    document = (await client.get("/v1/catalogue")).json()
    assert document["version"] == 1
    seed = seed_document()
    assert document["measures"] == seed["measures"]
    assert document["departments"] == [{**d, "active": True} for d in seed["departments"]]
    catalogue = Catalogue.from_document(document, document["version"])
    assert catalogue.departments_owing("dishonest_judgment_debtors") >= {"civil_aviation"}

    for source in SEEDS:
        expected = {m["code"] for m in seed["measures"] if m["source"]["seed"] == source}
        listed = (await client.get("/v1/measures", params={"seed": source, "limit": 500})).json()
        assert listed["total"] == len(expected) > 0
        assert {m["code"] for m in listed["items"]} == expected

    versions = (await client.get("/v1/catalogue/versions")).json()
    assert versions["total"] == 1
    assert versions["items"][0]["counts"] == {"added": 122, "changed": 0, "removed": 0}
    assert versions["items"][0]["event_key"] == "catalogue"


async def test_filters_and_pagination(registry: RegistryUnderTest) -> None:
    await registry.seed()
    client = registry.client
    pages = [
        (await client.get("/v1/measures", params={"limit": 20, "offset": offset})).json()
        for offset in (0, 20, 40, 60)
    ]
    assert all(p["total"] == 71 for p in pages)
    codes = [m["code"] for p in pages for m in p["items"]]
    assert len(codes) == len(set(codes)) == 71

    persons = (
        await client.get(
            "/v1/measures",
            params={"subject_type": "legal_representative", "scenario": "travel_consumption"},
        )
    ).json()
    assert {"restrict_flights", "restrict_high_grade_trains", "restrict_exit"} <= {
        m["code"] for m in persons["items"]
    }
    red = (await client.get("/v1/measures", params={"list_type": "red", "limit": 500})).json()
    assert red["total"] == 19
    court = (await client.get("/v1/measures", params={"department": "civil_aviation"})).json()
    assert all("civil_aviation" in m["implementing_departments"] for m in court["items"])
    assert (await client.get("/v1/memoranda", params={"list_type": "red"})).json()["total"] == 4
    cities = (await client.get("/v1/departments", params={"level": "区县"})).json()
    assert cities["total"] > 0
    assert all(d["level"] == "区县" for d in cities["items"])
    found = (await client.get("/v1/departments", params={"q": "人民法院"})).json()
    assert [d["code"] for d in found["items"]] == ["court"]

    detail = (await client.get("/v1/memoranda/dishonest_judgment_debtors")).json()
    assert detail["status"] == "published"
    assert len(detail["measures"]) == 10
    assert (await client.get("/v1/measures/restrict_flights")).json()["title"]


async def test_malformed_queries_are_422_problems(registry: RegistryUnderTest) -> None:
    await registry.seed()
    for path, params in (
        ("/v1/measures", {"limit": "0"}),
        ("/v1/measures", {"scenario": "gambling"}),
        ("/v1/departments", {"level": "国"}),
        ("/v1/catalogue/diff", {"from": "one", "to": "2"}),
    ):
        response = await registry.client.get(path, params=params)
        assert response.status_code == 422, (path, params)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["errors"][0]["location"].startswith("query.")
        assert problem["errors"][0]["message"]
    missing = await registry.client.get("/v1/measures/no_such_measure")
    assert missing.status_code == 404
    assert "no_such_measure" in missing.json()["detail"]


async def test_versions_and_diffs(registry: RegistryUnderTest) -> None:
    await registry.seed()
    client = registry.client
    admin = await registry.admin_headers()

    deactivated = await client.patch(
        "/v1/departments/tourism", json={"active": False}, headers=admin
    )
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["version"] == 2
    assert deactivated.json()["changes"][0]["value"]["active"] is False
    same = await client.patch("/v1/departments/tourism", json={"active": False}, headers=admin)
    assert same.json() | {"published_at": None} == {
        "version": 2,
        "published_at": None,
        "published": False,
        "counts": {"added": 0, "changed": 0, "removed": 0},
        "changes": [],
    }

    opened = await client.post("/v1/memoranda/safety_production/draft", headers=admin)
    assert opened.status_code == 201, opened.text
    draft = opened.json()
    assert draft["issues"] == []
    assert not draft["stale"]
    again = await client.post("/v1/memoranda/safety_production/draft", headers=admin)
    assert again.status_code == 409
    draft["measures"][0]["response_deadline_workdays"] = 2
    removed_code = draft["measures"].pop()["code"]
    body = {"memorandum": draft["memorandum"], "measures": draft["measures"]}
    saved = await client.put("/v1/memorandum-drafts/safety_production", json=body, headers=admin)
    assert saved.status_code == 200, saved.text
    assert (await client.get("/v1/memoranda/safety_production")).json()["draft_open"]
    published = await client.post(
        "/v1/memorandum-drafts/safety_production/publish", json={"note": "期限调整"}, headers=admin
    )
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 3
    assert (
        await client.get("/v1/memorandum-drafts/safety_production", headers=admin)
    ).status_code == 404

    v1 = (await client.get("/v1/catalogue/versions/1")).json()
    v3 = (await client.get("/v1/catalogue")).json()
    assert v3["version"] == 3
    assert removed_code in {m["code"] for m in v1["measures"]}
    assert removed_code not in {m["code"] for m in v3["measures"]}

    diff = (await client.get("/v1/catalogue/diff", params={"from": 1, "to": 3})).json()
    assert [(c["entity"], c["action"], c["code"]) for c in diff["changes"]] == [
        ("department", "changed", "tourism"),
        ("measure", "changed", draft["measures"][0]["code"]),
        ("measure", "removed", removed_code),
    ]
    back = (await client.get("/v1/catalogue/diff", params={"from": 3, "to": 1})).json()
    assert back["counts"] == {"added": 1, "changed": 2, "removed": 0}
    v3_changes = (await client.get("/v1/catalogue/versions/3/changes")).json()
    assert v3_changes["event_key"] == "catalogue"
    assert v3_changes["note"] == "期限调整"
    history = (await client.get("/v1/memoranda/safety_production/history")).json()
    assert [h["version"] for h in history] == [1, 3]
    old = (
        await client.get("/v1/measures", params={"version": 1, "memorandum": "safety_production"})
    ).json()
    assert old["version"] == 1
    assert old["total"] == 2
    assert (await client.get("/v1/catalogue/versions/9")).status_code == 404


async def test_a_stale_or_invalid_draft_is_not_published(registry: RegistryUnderTest) -> None:
    await registry.seed()
    client = registry.client
    admin = await registry.admin_headers()
    draft = (await client.post("/v1/memoranda/food_drug/draft", headers=admin)).json()
    draft["measures"][0]["implementing_departments"].append("nowhere")
    body = {"memorandum": draft["memorandum"], "measures": draft["measures"]}
    saved = (await client.put("/v1/memorandum-drafts/food_drug", json=body, headers=admin)).json()
    assert saved["issues"][0]["message"] == "unknown department: nowhere"
    refused = await client.post("/v1/memorandum-drafts/food_drug/publish", headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["location"].endswith(".implementing_departments")

    removed = await client.delete("/v1/memoranda/food_drug", headers=admin)
    assert removed.status_code == 200
    assert removed.json()["version"] == 2
    stale = await client.post("/v1/memorandum-drafts/food_drug/publish", headers=admin)
    assert stale.status_code == 409
    assert "discard the draft" in stale.json()["detail"]
    assert (
        await client.delete("/v1/memorandum-drafts/food_drug", headers=admin)
    ).status_code == 204


async def test_a_new_memorandum_is_drafted_then_published(registry: RegistryUnderTest) -> None:
    await registry.seed()
    client = registry.client
    admin = await registry.admin_headers()
    memorandum: dict[str, Any] = {
        "code": "tourism_market",
        "title": "关于对旅游领域严重失信相关责任主体实施联合惩戒的合作备忘录",
        "list_type": "black",
        "legal_basis": "《旅游法》",
        "designating_departments": ["tourism"],
        "signatory_departments": ["tourism", "market", "civil_aviation"],
        "subject_types": ["organisation", "person"],
    }
    measure = {
        "code": "tourism_restrict_licence",
        "memorandum": "tourism_market",
        "administrative_unit": "tourism",
        "title": "限制旅行社业务经营许可",
        "reason": "旅游领域严重失信",
        "legal_basis": "《旅游法》",
        "implementing_departments": ["tourism"],
        "content": "依法限制申请旅行社业务经营许可。",
        "evidence": "行政处罚决定书",
        "category": "industry",
        "binding": "binding",
        "subject_types": ["organisation"],
        "scenarios": ["licensing"],
        "response_deadline_workdays": 5,
    }
    created = await client.post(
        "/v1/memorandum-drafts",
        json={"memorandum": memorandum, "measures": [measure]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["new_memorandum"]
    published = await client.post("/v1/memorandum-drafts/tourism_market/publish", headers=admin)
    assert published.status_code == 200, published.text
    changes = published.json()["changes"]
    assert [(c["entity"], c["action"]) for c in changes] == [
        ("memorandum", "added"),
        ("measure", "added"),
    ]
    assert changes[1]["value"]["source"] is None
    assert (await client.get("/v1/measures/tourism_restrict_licence")).status_code == 200

    duplicate = await client.post(
        "/v1/memorandum-drafts", json={"memorandum": memorandum, "measures": []}, headers=admin
    )
    assert duplicate.status_code == 409

    bad = {**memorandum, "code": "Tourism", "list_type": "grey", "subject_types": []}
    invalid = await client.post(
        "/v1/memorandum-drafts", json={"memorandum": bad, "measures": []}, headers=admin
    )
    assert invalid.status_code == 422
    locations = {e["location"] for e in invalid.json()["errors"]}
    assert {
        "body.memorandum.code",
        "body.memorandum.list_type",
        "body.memorandum.subject_types",
    } <= locations


async def test_only_the_platform_administrator_writes(registry: RegistryUnderTest) -> None:
    await registry.seed()
    client = registry.client
    department = {"code": "audit", "name": "审计", "level": "省", "region": "通用", "kind": "其他"}

    anonymous = await client.post("/v1/departments", json=department)
    assert anonymous.status_code == 401
    market_admin = await registry.headers("market", Role.admin)
    wrong_department = await client.post("/v1/departments", json=department, headers=market_admin)
    assert wrong_department.status_code == 403
    assert "platform administrator" in wrong_department.json()["detail"]
    fgw_initiator = await registry.headers("fgw", Role.initiator, Role.oversight)
    wrong_role = await client.post("/v1/departments", json=department, headers=fgw_initiator)
    assert wrong_role.status_code == 403
    assert "admin" in wrong_role.json()["detail"]
    for path in ("/v1/memorandum-drafts", "/v1/keys"):
        assert (await client.get(path, headers=market_admin)).status_code == 403

    admin = await registry.admin_headers()
    added = await client.post("/v1/departments", json=department, headers=admin)
    assert added.status_code == 201, added.text
    assert (await client.get("/v1/departments/audit")).json()["active"] is True
    twice = await client.post("/v1/departments", json=department, headers=admin)
    assert twice.status_code == 409
    referenced = await client.delete("/v1/departments/court", headers=admin)
    assert referenced.status_code == 409
    assert "deactivate" in referenced.json()["detail"]
    assert (await client.delete("/v1/departments/audit", headers=admin)).status_code == 200
    bad_patch = await client.patch(
        "/v1/departments/court", json={"level": "国", "colour": "red"}, headers=admin
    )
    assert bad_patch.status_code == 422
    assert {e["location"] for e in bad_patch.json()["errors"]} == {"body.level", "body.colour"}
