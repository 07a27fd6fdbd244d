"""A catalogue revision that names another department for a memorandum: the designations in
force owe it a response from the moment the revision arrived; lifted ones do not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.auth.principal import Role
from shared.events.catalogue import CatalogueChange
from shared.events.designations import DesignationEventType
from shared.events.envelope import new_event
from shared.events.receipts import ReceiptEventType
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, seed_document
from tests.support.feedback import (
    SHANGHAI,
    at,
    catalogue_events,
    due_date,
    make_receipt,
    owing_departments,
    publish_all,
    running_feedback,
)

pytestmark = pytest.mark.integration

REACHED = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)


async def test_a_department_named_by_a_revision_is_owed_by_designations_in_force(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    seed = seed_document()
    owing = owing_departments(seed, "tax_credit_a")
    assert "court" not in owing
    template = next(m for m in seed["measures"] if m["memorandum"] == "tax_credit_a")
    added = {
        **template,
        "code": "revision_court_incentive",
        "implementing_departments": ["court"],
        "response_deadline_workdays": 3,
    }
    change = CatalogueChange(entity="measure", action="added", code=added["code"], value=added)
    # and one more measure for a department owing already: it owes it too, by its old deadline
    already = sorted(owing)[0]
    more = {**template, "code": "revision_more_incentive", "implementing_departments": [already]}
    more_change = CatalogueChange(entity="measure", action="added", code=more["code"], value=more)
    in_force = designation_state(memorandum_code="tax_credit_a", list_type="red", serial=8801)
    revoked = designation_state(
        memorandum_code="tax_credit_a", list_type="red", serial=8802, status="revoked"
    )
    events = [
        at(new_event(kind.value, "initiator", state, subject=state["id"]), REACHED)
        for kind, state in (
            (DesignationEventType.initiated, in_force),
            (DesignationEventType.revoked, revoked),
        )
    ]
    headers = authority.headers("oversight", Role.oversight)
    async with running_feedback(database_url, bootstrap, authority) as service:
        version_1, version_2 = catalogue_events([change, more_change])
        await publish_all(service.settings, Topic.CATALOGUE, [version_1])
        await service.wait_catalogue(1)
        await publish_all(service.settings, Topic.DESIGNATIONS, events)
        await service.wait_consumed(3)
        before = (await service.client.get("/v1/reports/summary", headers=headers)).json()
        assert before["totals"]["owed"] == 2 * len(owing)

        revised_at = datetime.now(UTC)
        await publish_all(service.settings, Topic.CATALOGUE, [version_2])
        await service.wait_catalogue(2)

        after = (await service.client.get("/v1/reports/summary", headers=headers)).json()
        assert after["totals"]["owed"] == before["totals"]["owed"] + 1
        court = await service.scalar(
            "SELECT designation_id FROM expectations WHERE department_code = 'court'"
        )
        assert court == uuid.UUID(in_force["id"])
        reached = await service.scalar(
            "SELECT reached_at FROM expectations WHERE department_code = 'court'"
        )
        assert reached >= revised_at
        due = await service.scalar(
            "SELECT due_date FROM expectations WHERE department_code = 'court'"
        )
        assert due == due_date(reached.astimezone(SHANGHAI).date(), 3)
        assert (
            await service.scalar(
                "SELECT count(*) FROM expectations WHERE department_code = 'court'"
            )
            == 1
        )
        earliest = await service.scalar(
            "SELECT min(reached_at) FROM expectations WHERE department_code <> 'court'"
        )
        assert earliest == REACHED
        measures = await service.scalar(
            "SELECT measure_codes FROM expectations WHERE department_code = 'court'"
        )
        assert measures == ["revision_court_incentive"]
        grown = await service.scalar(
            "SELECT measure_codes FROM expectations WHERE department_code = :code"
            " AND designation_id = :id",
            code=already,
            id=uuid.UUID(in_force["id"]),
        )
        assert "revision_more_incentive" in grown
        assert grown == sorted(set(grown))
        kept = await service.scalar(
            "SELECT reached_at FROM expectations WHERE department_code = :code"
            " AND designation_id = :id",
            code=already,
            id=uuid.UUID(in_force["id"]),
        )
        assert kept == REACHED
        by_measure = (
            await service.client.get(
                "/v1/statistics/departments",
                params={"group_by": "measure", "measure": "revision_more_incentive"},
                headers=headers,
            )
        ).json()
        assert [row["owed"] for row in by_measure["rows"]] == [1]

        answer = make_receipt(
            ReceiptEventType.received, "court", in_force, events[0], datetime.now(UTC)
        )
        await publish_all(service.settings, Topic.RECEIPTS, [answer.envelope])
        await service.wait_consumed(5)
        answered = (await service.client.get("/v1/reports/summary", headers=headers)).json()
        assert answered["totals"]["acknowledged"] == before["totals"]["acknowledged"] + 1
