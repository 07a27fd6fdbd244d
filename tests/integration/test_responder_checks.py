"""The batch check (批量比对) and the index rebuilt from the database after a restart."""

from __future__ import annotations

import pytest

from shared.events.designations import DesignationEventType as Kind
from shared.identifiers import make_credit_code
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, person_id
from tests.support.responder import ResponderHarness

pytestmark = pytest.mark.integration


async def test_batch_check_answers_per_id(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "finance") as responder:
        designated = designation_state(memorandum_code="government_procurement")
        await responder.publish_states(Kind.initiated, designated)
        await responder.settled(designated["id"], 1)
        subject = designated["subject"]["id"]
        clean = make_credit_code("55550001")
        body = {
            "subject_ids": [subject.lower(), clean, "not-an-id", person_id(12)],
            "scenario": "government_procurement",
        }
        response = await responder.client.post(
            "/v1/checks/batch", json=body, headers=responder.headers()
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["department_code"] == "finance"
        assert answer["count"] == 4
        assert answer["in_force_count"] == 1
        first, second, third, fourth = answer["results"]
        assert first["valid"]
        assert first["subject_id"] == subject
        assert first["in_force"]
        codes = {m["measure_code"] for m in first["measures"]}
        assert "ban_government_procurement" in codes
        assert all("government_procurement" in m["scenarios"] for m in first["measures"])
        assert second["valid"]
        assert second["measures"] == []
        assert third["valid"] is False
        assert third["error"]
        assert fourth["subject_kind"] == "person"
        assert not fourth["in_force"]

        too_many = await responder.client.post(
            "/v1/checks/batch",
            json={"subject_ids": [clean] * 1001},
            headers=responder.headers(),
        )
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["location"] == "body.subject_ids"


async def test_the_index_after_a_restart_equals_the_index_before(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        people = [
            [{"role": "legal_representative", "id": person_id(500 + n), "name": f"人{n}"}]
            for n in range(3)
        ]
        states = [designation_state(responsible_persons=p) for p in people]
        states += [designation_state(subject_kind="person") for _ in range(2)]
        await responder.publish_states(Kind.initiated, *states)
        for state in states:
            await responder.settled(state["id"], 1)
        suspended = states[0] | {"version": 2, "status": "suspended"}
        await responder.publish_states(Kind.suspended, suspended)
        await responder.settled(suspended["id"], 2)

        before = responder.state.index.snapshot()
        answers_before = [await responder.measures(s["subject"]["id"]) for s in states]
        assert len(before) == 2 * 2 + 2
        await responder.restart()
        await responder.ready()
        assert responder.state.index.snapshot() == before
        assert [await responder.measures(s["subject"]["id"]) for s in states] == answers_before
