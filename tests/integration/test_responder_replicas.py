"""Several replicas of one department's responder: every replica answers every check right.

The designation events are shared out by the consumer group, so each replica applies only some
of them; each replica's check index follows the department's change feed and so holds them all.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.events.designations import DesignationEventType as Kind
from tests.support.auth import TestAuthority
from tests.support.events import designation_state
from tests.support.kafka import wait_for
from tests.support.responder import ResponderHarness

pytestmark = pytest.mark.integration


async def _answers(replica: ResponderHarness, subjects: list[str]) -> list[bool]:
    response = await replica.client.post(
        "/v1/checks/batch", json={"subject_ids": subjects}, headers=replica.headers()
    )
    assert response.status_code == 200, response.text
    return [result["in_force"] for result in response.json()["results"]]


async def _all_answer(
    replicas: list[ResponderHarness], subjects: list[str], want: list[bool]
) -> None:
    async def right() -> bool:
        answers = await asyncio.gather(*(_answers(r, subjects) for r in replicas))
        return all(answer == want for answer in answers)

    await wait_for(right, timeout_s=45)


def _states(count: int) -> list[dict[str, Any]]:
    return [designation_state() for _ in range(count)]


async def test_two_replicas_each_answer_for_every_designation(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    first = ResponderHarness(database_url, bootstrap, authority, "court")
    async with first, first.replica() as second:
        await first.ready()
        await second.ready()
        states = _states(24)
        subjects = [state["subject"]["id"] for state in states]
        await first.publish_states(Kind.initiated, *states)
        await _all_answer([first, second], subjects, [True] * len(states))

        suspended = [s | {"version": 2, "status": "suspended"} for s in states[::2]]
        await first.publish_states(Kind.suspended, *suspended)
        want = [index % 2 == 1 for index in range(len(states))]
        await _all_answer([first, second], subjects, want)

        assert first.state.index.snapshot() == second.state.index.snapshot()
        sequences = {r.state.freshness.sequence for r in (first, second)}
        assert len(sequences) == 1
        assert sequences != {0}
        answer = (await first.check(subjects[1])).json()
        assert answer["index"]["sequence"] >= 1
        assert answer["index"]["caught_up_at"] is not None


async def test_a_replica_left_alone_serves_all_and_a_new_one_loads_then_follows(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as first:
        second = first.replica()
        async with second:
            await second.ready()
            early = _states(8)
            await first.publish_states(Kind.initiated, *early)
            await _all_answer(
                [first, second], [s["subject"]["id"] for s in early], [True] * len(early)
            )
        late = _states(8)
        await first.publish_states(Kind.initiated, *late)
        everyone = [s["subject"]["id"] for s in early + late]
        await _all_answer([first], everyone, [True] * len(everyone))

        async with first.replica() as third:
            await third.ready()
            await _all_answer([third], everyone, [True] * len(everyone))
            revoked = [s | {"version": 2, "status": "revoked"} for s in late]
            await first.publish_states(Kind.revoked, *revoked)
            want = [True] * len(early) + [False] * len(late)
            await _all_answer([first, third], everyone, want)
            assert first.state.index.snapshot() == third.state.index.snapshot()


async def test_a_replica_behind_the_feeds_retention_loads_the_index_anew(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as first:
        await first.ready()
        states = _states(4)
        await first.publish_states(Kind.initiated, *states)
        for state in states:
            await first.settled(state["id"], 1)
        async with first.replica() as second:
            await second.ready()
            assert second.state.freshness.loads == 1
            lost = states[0]["subject"]["id"]
            second.state.index.set_entry(lost, b"")
            await first.execute(
                "UPDATE index_change_horizon SET purged_through = "
                "(SELECT max(sequence) + 1 FROM index_changes)"
            )
            second.state.index_changed.set()
            await wait_for(lambda: second.state.freshness.loads == 2, timeout_s=30)
            await _all_answer([second], [s["subject"]["id"] for s in states], [True] * 4)
            assert second.state.index.snapshot() == first.state.index.snapshot()
