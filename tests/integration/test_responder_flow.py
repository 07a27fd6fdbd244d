"""A responder applies designations and answers checks, through the real broker and database."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth.principal import Role
from shared.events.designations import DesignationEventType
from shared.identifiers import make_credit_code
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, person_id
from tests.support.responder import (
    ResponderHarness,
    days_from_today,
    of_designation,
    receipt_kinds,
)

pytestmark = pytest.mark.integration

INITIATED = DesignationEventType.initiated


async def test_a_designation_flows_in_and_the_check_answers(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    legal_rep = person_id(4711)
    async with ResponderHarness(
        database_url, bootstrap, authority, "market", catalogue_stored=False
    ) as responder:
        with_person = designation_state(
            responsible_persons=[{"role": "legal_representative", "id": legal_rep, "name": "李四"}]
        )
        alone = designation_state()
        events = await responder.publish_states(INITIATED, with_person, alone)
        held = await responder.settled(with_person["id"], 1)
        await responder.settled(alone["id"], 1)

        roles = {t["role"]: t for t in held["targets"]}
        assert set(roles) == {"subject", "legal_representative"}
        assert "restrict_serving_as_executive" in roles["legal_representative"]["measure_codes"]
        assert all(t["state"] == "in_force" and t["set_by_version"] == 1 for t in held["targets"])

        organisation = with_person["subject"]["id"]
        answer = (await responder.check(organisation)).json()
        assert answer["in_force"] is True
        assert answer["subject_kind"] == "organisation"
        assert answer["department_code"] == "market"
        measure = next(
            m for m in answer["measures"] if m["measure_code"] == "key_supervision_target"
        )
        assert measure["designation_id"] == with_person["id"]
        assert measure["designation_version"] == 1
        assert measure["role"] == "subject"
        assert measure["list_type"] == "black"
        assert measure["memorandum_code"] == "dishonest_judgment_debtors"
        assert measure["measure_memorandum_code"] == "serious_dishonesty_general"
        assert measure["binding"] == "binding"
        assert measure["legal_basis"]
        assert measure["content"]
        assert measure["period_end"] == with_person["period_end"]

        person = (await responder.check(legal_rep)).json()
        assert person["subject_kind"] == "person"
        caught = {m["measure_code"]: m for m in person["measures"]}
        assert "restrict_serving_as_executive" in caught
        assert {m["role"] for m in caught.values()} == {"legal_representative"}
        assert {m["organisation_id"] for m in caught.values()} == {organisation}

        in_scenario = await responder.measures(organisation, "daily_inspection")
        assert [m["measure_code"] for m in in_scenario] == ["key_supervision_target"]

        nobody = (await responder.check(make_credit_code("77770001"))).json()
        assert nobody["in_force"] is False
        assert nobody["measures"] == []
        assert nobody["checked_at"]

        invalid = await responder.check("91350100M000100Y44")
        assert invalid.status_code == 422
        assert invalid.headers["content-type"] == "application/problem+json"
        assert invalid.json()["errors"][0]["location"] == "path.subject_id"
        unknown_scenario = await responder.check(organisation, "no_such_scenario")
        assert unknown_scenario.status_code == 422

        def complete(envelopes: list[dict[str, Any]]) -> bool:
            return len(of_designation(envelopes, alone["id"])) >= 2 + len(held["targets"]) and any(
                e["type"].endswith("measure-not-applicable.v1") for e in envelopes
            )

        receipts = await responder.receipts(complete)
        mine = of_designation(receipts, with_person["id"])
        kinds = receipt_kinds(mine)
        applied = sum(len(t["measure_codes"]) for t in held["targets"])
        assert kinds.count("received") == 1
        assert kinds.count("measure-applied") == applied
        received = next(e for e in mine if e["type"].endswith("received.v1"))
        assert received["data"]["answers"] == str(events[0].id)
        assert received["data"]["department_code"] == "market"
        assert received["id"] == received["data"]["receipt_id"]
        not_applicable = [
            e for e in of_designation(receipts, alone["id"]) if "not-applicable" in e["type"]
        ]
        assert [e["data"]["measure_code"] for e in not_applicable] == [
            "restrict_serving_as_executive"
        ]
        assert "reaches only" in not_applicable[0]["data"]["reason"]


async def test_a_measure_past_its_end_date_is_not_returned(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        ended = designation_state(period_start=days_from_today(-30), period_end=days_from_today(-1))
        future = designation_state(period_start=days_from_today(1))
        current = designation_state(period_end=days_from_today(0))
        await responder.publish_states(INITIATED, ended, future, current)
        for state in (ended, future, current):
            held = await responder.settled(state["id"], 1)
            assert held["status"] == "active"
        assert await responder.measures(ended["subject"]["id"]) == []
        assert await responder.measures(future["subject"]["id"]) == []
        assert await responder.measures(current["subject"]["id"]) != []


async def test_another_departments_token_is_refused(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        await responder.ready()
        subject = make_credit_code("1234")
        paths = [
            ("GET", f"/v1/checks/{subject}", None),
            ("POST", "/v1/checks/batch", {"subject_ids": [subject]}),
            ("GET", "/v1/enforcements", None),
            ("GET", "/v1/status", None),
        ]
        for method, path, body in paths:
            kwargs: dict[str, Any] = {"json": body} if body else {}
            none = await responder.client.request(method, path, **kwargs)
            assert none.status_code == 401, path
            other = await responder.client.request(
                method, path, headers=responder.headers("market"), **kwargs
            )
            assert other.status_code == 403, path
            assert other.headers["content-type"] == "application/problem+json"
            wrong_role = await responder.client.request(
                method, path, headers=responder.headers("court", Role.initiator), **kwargs
            )
            assert wrong_role.status_code == 403, path
            for role in (Role.responder, Role.admin):
                allowed = await responder.client.request(
                    method, path, headers=responder.headers("court", role), **kwargs
                )
                assert allowed.status_code == 200, (path, allowed.text)
