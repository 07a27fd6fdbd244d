"""Every lifecycle path over HTTP, with its event sequence read back from the broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from shared.auth.principal import Role
from shared.events.designations import DesignationState
from tests.support.auth import TestAuthority, TestIdentityProvider
from tests.support.initiator import InitiatorHarness, legal_representative

pytestmark = pytest.mark.integration

V1 = "designation.{}.v1"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> TestIdentityProvider:
    return TestIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest.fixture
async def initiator(
    database_url: str, bootstrap: str, authority: TestAuthority, idp: TestIdentityProvider
) -> AsyncIterator[InitiatorHarness]:
    async with InitiatorHarness(database_url, bootstrap, authority, **idp.settings) as harness:
        yield harness


async def _post(
    initiator: InitiatorHarness, path: str, body: dict[str, Any], headers: dict[str, str] | None
) -> dict[str, Any]:
    response = await initiator.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def _object(initiator: InitiatorHarness, designation: dict[str, Any]) -> dict[str, Any]:
    """A responding department finds the information wrong and objects."""
    return await _post(
        initiator,
        f"/v1/designations/{designation['id']}/objections",
        {"grounds": "主体已履行义务，信息不实", "evidence": ["履行证明"]},
        initiator.headers("market", Role.responder),
    )


async def _decide(
    initiator: InitiatorHarness, objection_id: str, **decision: Any
) -> dict[str, Any]:
    return await _post(
        initiator, f"/v1/objections/{objection_id}/decision", decision, initiator.headers("court")
    )


async def _types(initiator: InitiatorHarness, designation: dict[str, Any], count: int) -> list[str]:
    return await initiator.event_types_of(designation["id"], count)


async def test_objection_suspends_and_rejection_resumes(initiator: InitiatorHarness) -> None:
    designation = await initiator.designate()
    filed = await _object(initiator, designation)
    assert filed["status"] == "pending"
    assert filed["filed_by_department"] == "market"
    assert (filed["designation"]["status"], filed["designation"]["version"]) == ("suspended", 2)
    assert date.fromisoformat(filed["answer_due"]) > date.fromisoformat(filed["filed_at"][:10])

    decided = await _decide(initiator, filed["id"], outcome="rejected", note="核查属实")
    assert (decided["status"], decided["resolution"]) == ("rejected", None)
    assert (decided["designation"]["status"], decided["designation"]["version"]) == ("active", 3)
    assert await _types(initiator, designation, 3) == [
        V1.format("initiated"),
        V1.format("suspended"),
        V1.format("resumed"),
    ]
    history = await initiator.client.get(
        f"/v1/designations/{designation['id']}/history", headers=initiator.headers()
    )
    assert [(h["version"], h["action"], h["status"]) for h in history.json()] == [
        (1, "initiate", "active"),
        (2, "suspend", "suspended"),
        (3, "resume", "active"),
    ]


async def test_the_subject_objects_and_the_record_is_corrected(
    initiator: InitiatorHarness, idp: TestIdentityProvider
) -> None:
    designation = await initiator.designate(kind="person")
    filed = await _post(
        initiator,
        "/v1/public/objections",
        {
            "designation_id": designation["id"],
            "subject_id": designation["subject"]["id"].lower(),
            "grounds": "本人已全部履行，请求更正",
            "contact": "13800000000",
        },
        idp.headers(designation["subject"]["id"]),
    )
    assert filed["filed_by_kind"] == "subject"
    assert filed["designation"]["subject"]["id"] != designation["subject"]["id"]  # masked
    decided = await _decide(initiator, filed["id"], outcome="upheld", resolution="corrected")
    assert decided["designation"]["status"] == "corrected"
    assert decided["designation"]["exited_at"] is not None
    assert await _types(initiator, designation, 3) == [
        V1.format("initiated"),
        V1.format("suspended"),
        V1.format("corrected"),
    ]


async def test_an_upheld_objection_can_revoke(initiator: InitiatorHarness) -> None:
    designation = await initiator.designate()
    filed = await _object(initiator, designation)
    decided = await _decide(initiator, filed["id"], outcome="upheld", resolution="revoked")
    assert decided["designation"]["status"] == "revoked"
    assert await _types(initiator, designation, 3) == [
        V1.format("initiated"),
        V1.format("suspended"),
        V1.format("revoked"),
    ]


async def test_repair_approved_exits_and_repair_rejected_stays(
    initiator: InitiatorHarness, idp: TestIdentityProvider
) -> None:
    repaired = await initiator.designate()
    applied = await _post(
        initiator,
        "/v1/public/repairs",
        {
            "designation_id": repaired["id"],
            "subject_id": repaired["subject"]["id"],
            "statement": "已履行全部义务并公开作出信用承诺",
            "evidence": ["结案证明"],
        },
        idp.headers(repaired["subject"]["id"]),
    )
    assert applied["status"] == "pending"
    assert applied["designation"]["version"] == 1
    approved = await _post(
        initiator, f"/v1/repairs/{applied['id']}/decision", {"approved": True}, initiator.headers()
    )
    assert (approved["status"], approved["designation"]["status"]) == ("approved", "repaired")

    kept = await initiator.designate()
    applied = await _post(
        initiator,
        f"/v1/designations/{kept['id']}/repairs",
        {"statement": "申请信用修复"},
        initiator.headers("tax"),
    )
    path = f"/v1/repairs/{applied['id']}/decision"
    no_reason = await initiator.client.post(
        path, json={"approved": False}, headers=initiator.headers()
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["location"] == "body.reason"
    rejected = await _post(
        initiator, path, {"approved": False, "reason": "尚未履行完毕"}, initiator.headers()
    )
    assert (rejected["status"], rejected["reason"]) == ("rejected", "尚未履行完毕")
    assert (rejected["designation"]["status"], rejected["designation"]["version"]) == ("active", 1)

    assert await _types(initiator, repaired, 2) == [V1.format("initiated"), V1.format("repaired")]
    assert await _types(initiator, kept, 1) == [V1.format("initiated")]


async def test_revocation_and_extension(initiator: InitiatorHarness) -> None:
    revoked = await initiator.designate()
    await _post(
        initiator,
        f"/v1/designations/{revoked['id']}/revocation",
        {"reason": "认定依据被撤销"},
        initiator.headers(),
    )
    extended = await initiator.designate(period_end=date(2027, 12, 31))
    result = await _post(
        initiator,
        f"/v1/designations/{extended['id']}/extension",
        {"period_end": "2028-12-31", "reason": "延长惩戒期限"},
        initiator.headers(),
    )
    assert (result["status"], result["version"], result["period_end"]) == (
        "active",
        2,
        "2028-12-31",
    )
    assert await _types(initiator, revoked, 2) == [V1.format("initiated"), V1.format("revoked")]
    events = await initiator.designation_events(lambda events: len(events) >= 4)
    [extension] = [
        e for e in events if e.subject == extended["id"] and e.type.endswith("extended.v1")
    ]
    state = DesignationState.model_validate(extension.data)
    assert (state.version, state.period_end) == (2, date(2028, 12, 31))


async def test_invalid_transitions_are_409_naming_status_and_action(
    initiator: InitiatorHarness,
) -> None:
    client, court = initiator.client, initiator.headers()
    designation = await initiator.designate()
    path = f"/v1/designations/{designation['id']}"
    await _post(initiator, f"{path}/revocation", {"reason": "撤销"}, court)

    refused = [
        await client.post(f"{path}/revocation", json={"reason": "again"}, headers=court),
        await client.post(
            f"{path}/extension", json={"period_end": "2031-01-01", "reason": "x"}, headers=court
        ),
        await client.post(f"{path}/objections", json={"grounds": "x"}, headers=court),
        await client.post(f"{path}/repairs", json={"statement": "x"}, headers=court),
    ]
    for response, action in zip(refused, ("revoke", "extend", "suspend", "repair"), strict=True):
        assert response.status_code == 409, response.text
        problem = response.json()
        assert (problem["current_status"], problem["attempted_action"]) == ("revoked", action)
        assert "revoked" in problem["detail"]

    suspended = await initiator.designate()
    objection = await _object(initiator, suspended)
    while_suspended = await client.post(
        f"/v1/designations/{suspended['id']}/revocation", json={"reason": "x"}, headers=court
    )
    assert while_suspended.status_code == 409
    assert "objection" in while_suspended.json()["detail"]
    await _decide(initiator, objection["id"], outcome="rejected")
    twice = await client.post(
        f"/v1/objections/{objection['id']}/decision", json={"outcome": "rejected"}, headers=court
    )
    assert twice.status_code == 409
    assert twice.json()["current_status"] == "rejected"

    red = await initiator.designate("tax", memorandum_code="tax_credit_a", list_type="red")
    not_repairable = await client.post(
        f"/v1/designations/{red['id']}/repairs",
        json={"statement": "x"},
        headers=initiator.headers("tax"),
    )
    assert not_repairable.status_code == 409
    assert "black-list" in not_repairable.json()["detail"]
    shorter = await client.post(
        f"/v1/designations/{red['id']}/extension",
        json={"period_end": "2026-01-01", "reason": "x"},
        headers=initiator.headers("tax"),
    )
    assert shorter.status_code == 422
    assert shorter.json()["errors"][0]["location"] == "body.period_end"


async def test_only_the_initiating_department_decides(
    initiator: InitiatorHarness, idp: TestIdentityProvider
) -> None:
    client = initiator.client
    designation = await initiator.designate()
    objection = await _object(initiator, designation)
    decision = f"/v1/objections/{objection['id']}/decision"
    for headers in (
        initiator.headers("market"),
        initiator.headers("court", Role.responder),
        initiator.headers("court", Role.admin),
    ):
        refused = await client.post(decision, json={"outcome": "rejected"}, headers=headers)
        assert refused.status_code == 403, refused.text
    upheld_without = await client.post(
        decision, json={"outcome": "upheld"}, headers=initiator.headers()
    )
    assert upheld_without.status_code == 422
    other = await client.post(
        f"/v1/designations/{designation['id']}/revocation",
        json={"reason": "x"},
        headers=initiator.headers("market"),
    )
    assert other.status_code == 403
    stranger = await client.post(
        "/v1/public/objections",
        json={
            "designation_id": designation["id"],
            "subject_id": "91350100M000100Y43",
            "grounds": "冒名异议",
        },
        headers=idp.headers("91350100M000100Y43"),
    )
    assert stranger.status_code == 403
    unknown = await client.post(
        "/v1/public/objections",
        json={
            "designation_id": "00000000-0000-4000-8000-000000000000",
            "subject_id": designation["subject"]["id"],
            "grounds": "x",
        },
        headers=idp.headers(designation["subject"]["id"]),
    )
    assert unknown.status_code == 404
    bad_id = await client.post(
        "/v1/public/objections",
        json={"designation_id": designation["id"], "subject_id": "123", "grounds": "x"},
        headers=idp.headers(designation["subject"]["id"]),
    )
    assert bad_id.status_code == 422
    listed = await client.get("/v1/objections?status=pending", headers=initiator.headers())
    assert [o["id"] for o in listed.json()["items"]] == [objection["id"]]
    hidden = await client.get("/v1/objections", headers=initiator.headers("market"))
    assert hidden.json()["items"] == []


async def test_public_lists_mask_persons_and_show_exits(initiator: InitiatorHarness) -> None:
    client = initiator.client
    person = await initiator.designate(kind="person", name="张三丰")
    representative = legal_representative(name="李四")
    organisation = await initiator.designate(responsible_persons=[representative])
    red = await initiator.designate("tax", memorandum_code="tax_credit_a", list_type="red")
    suspended = await initiator.designate()
    await _object(initiator, suspended)
    exited = await initiator.designate()
    await _post(
        initiator,
        f"/v1/designations/{exited['id']}/revocation",
        {"reason": "撤销"},
        initiator.headers(),
    )

    black = (await client.get("/v1/public/lists/black")).json()
    by_id = {entry["id"]: entry for entry in black["items"]}
    assert set(by_id) == {person["id"], organisation["id"]}
    masked = by_id[person["id"]]["subject"]
    person_id = person["subject"]["id"]
    assert masked == {
        "kind": "person",
        "id": person_id[:6] + "********" + person_id[-4:],
        "name": "张**",
    }
    shown = by_id[organisation["id"]]
    assert shown["subject"] == organisation["subject"]
    assert shown["responsible_persons"] == [
        {
            "role": "legal_representative",
            "id": representative["id"][:6] + "********" + representative["id"][-4:],
            "name": "李*",
        }
    ]
    assert person_id not in (await client.get("/v1/public/lists/black")).text
    reds = (await client.get("/v1/public/lists/red")).json()["items"]
    assert [entry["id"] for entry in reds] == [red["id"]]
    exits = (await client.get("/v1/public/exits")).json()["items"]
    assert [(entry["id"], entry["status"]) for entry in exits] == [(exited["id"], "revoked")]
    page = (await client.get("/v1/public/lists/black?limit=1")).json()
    assert (len(page["items"]), page["next_offset"]) == (1, 1)
    assert (await client.get("/v1/public/lists/black?limit=0")).status_code == 422
