"""Suspension, resumption, correction, revocation, repair and expiry, each reflected in the
check answers and in receipts; duplicated, reordered and re-published events converge."""

from __future__ import annotations

from typing import Any

import pytest

from shared.events.designations import DesignationEventType as Kind
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, person_id
from tests.support.responder import ResponderHarness, of_designation, receipt_kinds

pytestmark = pytest.mark.integration


def version(state: dict[str, Any], number: int, status: str) -> dict[str, Any]:
    return state | {"version": number, "status": status}


async def test_each_lifecycle_change_is_reflected_and_answered(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    legal_rep = person_id(90210)
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        objected = designation_state(
            responsible_persons=[{"role": "legal_representative", "id": legal_rep, "name": "王五"}]
        )
        revoked, repaired, expired = (designation_state() for _ in range(3))
        all_four = (objected, revoked, repaired, expired)
        await responder.publish_states(Kind.initiated, *all_four)
        for state in all_four:
            await responder.settled(state["id"], 1)
            assert await responder.measures(state["subject"]["id"])
        assert await responder.measures(legal_rep)

        await responder.publish_states(Kind.suspended, version(objected, 2, "suspended"))
        await responder.publish_states(Kind.revoked, version(revoked, 2, "revoked"))
        await responder.publish_states(Kind.repaired, version(repaired, 2, "repaired"))
        await responder.publish_states(Kind.expired, version(expired, 2, "expired"))
        suspended = await responder.settled(objected["id"], 2)
        assert {t["state"] for t in suspended["targets"]} == {"suspended"}
        assert await responder.measures(objected["subject"]["id"]) == []
        assert await responder.measures(legal_rep) == []
        for state, cause in ((revoked, "revoked"), (repaired, "repaired"), (expired, "expired")):
            held = await responder.settled(state["id"], 2)
            assert {(t["state"], t["cause"]) for t in held["targets"]} == {("lifted", cause)}
            assert await responder.measures(state["subject"]["id"]) == []

        await responder.publish_states(Kind.resumed, version(objected, 3, "active"))
        resumed = await responder.settled(objected["id"], 3)
        assert {t["state"] for t in resumed["targets"]} == {"in_force"}
        back = await responder.measures(legal_rep)
        assert back
        assert {m["designation_version"] for m in back} == {3}

        await responder.publish_states(Kind.suspended, version(objected, 4, "suspended"))
        await responder.settled(objected["id"], 4)
        await responder.publish_states(Kind.corrected, version(objected, 5, "corrected"))
        corrected = await responder.settled(objected["id"], 5)
        assert {(t["state"], t["cause"]) for t in corrected["targets"]} == {("lifted", "corrected")}
        assert await responder.measures(objected["subject"]["id"]) == []

        applied_per_version = sum(len(t["measure_codes"]) for t in resumed["targets"])

        def answered(envelopes: list[dict[str, Any]]) -> bool:
            return len(of_designation(envelopes, objected["id"])) >= 5 + 4 * applied_per_version

        receipts = await responder.receipts(answered)
        objected_receipts = of_designation(receipts, objected["id"])
        for number in (1, 3):
            kinds = receipt_kinds(objected_receipts, number)
            assert kinds.count("measure-applied") == applied_per_version
        for number, cause in ((2, "suspended"), (4, "suspended"), (5, "corrected")):
            lifted = [
                e
                for e in objected_receipts
                if e["data"]["designation_version"] == number and "lifted" in e["type"]
            ]
            assert len(lifted) == applied_per_version, number
            assert {e["data"]["cause"] for e in lifted} == {cause}
        for number in range(1, 6):
            assert receipt_kinds(objected_receipts, number).count("received") == 1
        for state, cause in ((revoked, "revoked"), (repaired, "repaired"), (expired, "expired")):
            lifted = [e for e in of_designation(receipts, state["id"]) if "lifted" in e["type"]]
            assert lifted
            assert {e["data"]["cause"] for e in lifted} == {cause}
        ids = [e["id"] for e in receipts]
        assert len(ids) == len(set(ids))


async def test_duplicated_reordered_and_republished_events_converge(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        in_order = designation_state()
        shuffled = designation_state()
        for state in (in_order, shuffled):
            state["responsible_persons"] = [
                {"role": "legal_representative", "id": person_id(31337), "name": "赵六"}
            ]
        steps = [
            (Kind.initiated, version(in_order, 1, "active")),
            (Kind.suspended, version(in_order, 2, "suspended")),
            (Kind.resumed, version(in_order, 3, "active")),
        ]
        await responder.publish_states(steps[0][0], steps[0][1])
        await responder.settled(in_order["id"], 1)
        await responder.publish_states(steps[1][0], steps[1][1])
        await responder.settled(in_order["id"], 2)
        await responder.publish_states(steps[2][0], steps[2][1])
        expected = await responder.settled(in_order["id"], 3)

        v1 = version(shuffled, 1, "active")
        v2 = version(shuffled, 2, "suspended")
        v3 = version(shuffled, 3, "active")
        first_v1 = await responder.publish_states(Kind.initiated, v1)
        await responder.publish(first_v1[0])
        await responder.publish_states(Kind.resumed, v3)
        await responder.publish_states(Kind.suspended, v2)
        await responder.publish_states(Kind.initiated, v1)
        await responder.publish_states(Kind.resumed, v3)
        converged = await responder.settled(shuffled["id"], 3)
        await responder.ignored(shuffled["id"], 3)

        def comparable(held: dict[str, Any]) -> list[tuple[Any, ...]]:
            return sorted(
                (t["role"], tuple(t["measure_codes"]), t["state"], t["cause"], t["set_by_version"])
                for t in held["targets"]
            )

        assert converged["status"] == expected["status"] == "active"
        assert comparable(converged) == comparable(expected)
        assert [
            m["designation_version"] for m in await responder.measures(shuffled["subject"]["id"])
        ]
        assert {
            m["designation_version"] for m in await responder.measures(shuffled["subject"]["id"])
        } == {3}

        def v3_answered(envelopes: list[dict[str, Any]]) -> bool:
            return any(
                e["data"]["designation_version"] == 3 and "received" in e["type"]
                for e in of_designation(envelopes, shuffled["id"])
            )

        before = of_designation(await responder.receipts(v3_answered), shuffled["id"])
        v3_ids = sorted(e["id"] for e in before if e["data"]["designation_version"] == 3)
        assert receipt_kinds(before, 2) == [], "v2 arrived after v3: it changed nothing"

        await responder.publish_states(Kind.republished, v3)

        def resent(envelopes: list[dict[str, Any]]) -> bool:
            mine = of_designation(envelopes, shuffled["id"])
            resent_count: int = sum(e["data"]["designation_version"] == 3 for e in mine)
            return resent_count >= 2 * len(v3_ids)

        after = of_designation(await responder.receipts(resent), shuffled["id"])
        again = sorted(e["id"] for e in after if e["data"]["designation_version"] == 3)
        assert again == sorted(v3_ids * 2), "the same receipts, with the same ids"
        held = await responder.settled(shuffled["id"], 3)
        assert held["ignored_events"] == 3
