"""Reconciliation (对账) converges: receipts lost with a broker's log arrive again after the
re-publish request, and are counted once; the periodic worker asks by itself."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest

from services.feedback.adapters.overdue_queries import lead_reconciliation_round
from services.feedback.entrypoints.reconciliation_worker import reconciliation_round
from services.feedback.handlers.dispatch import RECEIPTS
from shared.auth.principal import Role
from shared.events.designations import DesignationEventType
from shared.events.envelope import new_event
from shared.events.receipts import ReceiptEventType
from shared.events.republish import RepublishRequested
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, seed_document
from tests.support.feedback import (
    SHANGHAI,
    at,
    catalogue_events,
    make_receipt,
    owing_departments,
    percentile,
    publish_all,
    running_feedback,
)
from tests.support.kafka import read_until, wait_for

pytestmark = pytest.mark.integration

REACHED = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)


async def test_receipts_lost_with_the_broker_log_arrive_again_and_count_once(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    state = designation_state(memorandum_code="tax_credit_a", list_type="red", serial=5150)
    initiated = at(
        new_event(DesignationEventType.initiated.value, "initiator", state, subject=state["id"]),
        REACHED,
    )
    owing = sorted(owing_departments(seed_document(), "tax_credit_a"))
    answers = [
        make_receipt(
            ReceiptEventType.received,
            department,
            state,
            initiated,
            datetime(2025, 10, 9, 8 + index % 8, tzinfo=SHANGHAI),
        )
        for index, department in enumerate(owing)
    ]
    survived = answers[:5]
    headers = authority.headers("oversight", Role.oversight)
    async with running_feedback(database_url, bootstrap, authority) as service:
        await publish_all(service.settings, Topic.CATALOGUE, catalogue_events())
        await service.wait_catalogue(1)
        await publish_all(service.settings, Topic.DESIGNATIONS, [initiated])
        await publish_all(service.settings, Topic.RECEIPTS, [r.envelope for r in survived])
        await service.wait_consumed(2 + len(survived))
        overdue = (await service.client.get("/v1/overdue", headers=headers)).json()
        assert {d["department_code"] for d in overdue["departments"]} == set(owing[5:])

        response = await service.client.post(
            "/v1/reconciliation", json={"reason": "broker_data_loss"}, headers=headers
        )
        assert response.status_code == 202
        (request_id,) = response.json()["request_ids"]
        (record,) = await read_until(
            bootstrap, service.settings.topic(Topic.REPUBLISH_REQUESTS), lambda found: bool(found)
        )
        request = RepublishRequested.model_validate(json.loads(record.value)["data"])
        assert str(request.request_id) == request_id
        assert [str(i) for i in request.designation_ids or ()] == [state["id"]]

        # The initiator re-publishes version 1; every responder re-sends its receipt (same id).
        republished = new_event(
            DesignationEventType.republished.value,
            "initiator",
            {**state, "republish_request_id": str(request.request_id)},
            subject=state["id"],
        )
        resent = [
            new_event(r.kind.value, f"responder-{r.department}", r.data, subject=state["id"])
            for r in answers
        ]
        duplicates = RECEIPTS.labels("duplicate")._value.get()
        await publish_all(service.settings, Topic.DESIGNATIONS, [republished])
        await publish_all(service.settings, Topic.RECEIPTS, resent)
        await service.wait_consumed(2 + len(survived) + 1 + len(resent))

        overdue = (await service.client.get("/v1/overdue", headers=headers)).json()
        assert overdue["departments"] == []
        assert await service.scalar("SELECT count(*) FROM receipts") == len(owing)
        assert RECEIPTS.labels("duplicate")._value.get() - duplicates == len(survived)
        summary = (await service.client.get("/v1/reports/summary", headers=headers)).json()
        assert summary["totals"]["owed"] == len(owing)
        assert summary["totals"]["acknowledged"] == len(owing)
        delays = [
            (datetime.fromisoformat(r.data["recorded_at"]) - REACHED).total_seconds()
            for r in answers
        ]
        # Still measured from the initiated event, not from the re-publication.
        assert summary["totals"]["p90_response_seconds"] == pytest.approx(percentile(delays, 0.9))
        assert summary["totals"]["median_response_seconds"] == pytest.approx(
            percentile(delays, 0.5)
        )


async def test_the_periodic_worker_asks_for_overdue_designations(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    state = designation_state(memorandum_code="government_procurement", serial=6160)
    initiated = at(
        new_event(DesignationEventType.initiated.value, "initiator", state, subject=state["id"]),
        REACHED,
    )
    async with running_feedback(
        database_url, bootstrap, authority, reconciliation_interval_s=0.3
    ) as service:
        await publish_all(service.settings, Topic.CATALOGUE, catalogue_events())
        await publish_all(service.settings, Topic.DESIGNATIONS, [initiated])
        records = await read_until(
            bootstrap,
            service.settings.topic(Topic.REPUBLISH_REQUESTS),
            lambda found: any(
                state["id"] in json.loads(r.value)["data"]["designation_ids"] for r in found
            ),
        )
        requests = [RepublishRequested.model_validate(json.loads(r.value)["data"]) for r in records]
        named = [r for r in requests if uuid.UUID(state["id"]) in (r.designation_ids or ())]
        assert named
        assert {r.reason for r in named} == {"overdue_receipt"}

        async def recorded() -> bool:
            by = await service.scalar(
                "SELECT min(requested_by) FROM republish_requests WHERE designation_count > 0"
            )
            return bool(by == "reconciliation-worker")

        await wait_for(recorded)
        requested = await service.scalar(
            "SELECT min(last_republish_requested_at) FROM expectations"
        )
        assert requested is not None
        assert requested <= datetime.now(UTC)


async def test_one_instance_runs_each_periodic_round(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    """Two feedback instances on one database: a round another instance holds is skipped, and
    rounds running at once ask for an overdue designation once."""
    state = designation_state(memorandum_code="government_procurement", serial=6170)
    initiated = at(
        new_event(DesignationEventType.initiated.value, "initiator", state, subject=state["id"]),
        REACHED,
    )
    async with running_feedback(
        database_url, bootstrap, authority, reconciliation_interval_s=3600
    ) as service:
        await publish_all(service.settings, Topic.CATALOGUE, catalogue_events())
        await service.wait_catalogue(1)
        await publish_all(service.settings, Topic.DESIGNATIONS, [initiated])
        await service.wait_consumed(2)
        runtime = service.feedback.runtime

        async with runtime.sessions() as other_instance, other_instance.begin():
            assert await lead_reconciliation_round(other_instance)
            assert await reconciliation_round(runtime, service.settings, datetime.now(UTC)) is None
        assert await service.scalar("SELECT count(*) FROM republish_requests") == 0

        rounds = await asyncio.gather(
            *(reconciliation_round(runtime, service.settings, datetime.now(UTC)) for _ in range(3))
        )
        asked = [r.designation_ids for r in rounds if r is not None and r.designation_ids]
        assert asked == [[uuid.UUID(state["id"])]]
        assert (
            await service.scalar(
                "SELECT count(*) FROM republish_requests WHERE designation_count > 0"
            )
            == 1
        )
