"""Enforcement recording (嵌入式联合奖惩): idempotent by case, validated, sent as a receipt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.events.designations import DesignationEventType as Kind
from tests.support.auth import TestAuthority
from tests.support.events import designation_state
from tests.support.responder import ResponderHarness, days_from_today

pytestmark = pytest.mark.integration


async def test_enforcement_is_idempotent_validated_and_sent(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "market") as responder:
        state = designation_state(period_start=days_from_today(-10))
        await responder.publish_states(Kind.initiated, state)
        await responder.settled(state["id"], 1)
        subject = state["subject"]["id"]
        occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        body: dict[str, Any] = {
            "case_id": "XK-2026-0001",
            "business_system": "licensing",
            "scenario": "licensing",
            "measure_code": "strict_licensing_review",
            "designation_id": state["id"],
            "subject_id": subject,
            "outcome": "applied",
            "result": "不予许可",
            "amount": 5000.5,
            "occurred_at": occurred,
            "district": "350100",
        }

        async def post(payload: dict[str, Any]) -> Any:
            return await responder.client.post(
                "/v1/enforcements", json=payload, headers=responder.headers()
            )

        created = await post(body)
        assert created.status_code == 201, created.text
        replayed = await post(body)
        assert replayed.status_code == 200
        assert replayed.json() == created.json()
        conflict = await post(body | {"result": "从严审核后许可"})
        assert conflict.status_code == 409
        assert conflict.json()["existing"]["enforcement_id"] == created.json()["enforcement_id"]

        binding_not_applied = await post(
            body | {"case_id": "XK-2", "outcome": "not_applied", "reason": "情节轻微"}
        )
        assert binding_not_applied.status_code == 422
        assert binding_not_applied.json()["errors"][0]["location"] == "body.outcome"
        discretionary = body | {
            "case_id": "XK-3",
            "measure_code": "association_warning",
            "scenario": None,
            "outcome": "not_applied",
        }
        assert (await post(discretionary)).json()["errors"][0]["location"] == "body.reason"
        not_applied = await post(discretionary | {"reason": "已主动整改"})
        assert not_applied.status_code == 201, not_applied.text
        unknown = await post(body | {"case_id": "XK-4", "designation_id": str(uuid.uuid4())})
        assert unknown.status_code == 422
        elsewhere = await post(body | {"case_id": "XK-5", "measure_code": "restrict_flights"})
        assert elsewhere.json()["errors"][0]["location"] == "body.measure_code"
        too_early = await post(
            body
            | {
                "case_id": "XK-6",
                "occurred_at": (datetime.now(UTC) - timedelta(days=40)).isoformat(),
            }
        )
        assert too_early.status_code == 409

        listed = await responder.client.get(
            "/v1/enforcements", params={"limit": 1}, headers=responder.headers()
        )
        assert listed.status_code == 200
        page = listed.json()
        assert len(page["items"]) == 1
        assert page["next_offset"] == 1
        everything = await responder.client.get(
            "/v1/enforcements", params={"designation_id": state["id"]}, headers=responder.headers()
        )
        assert {e["case_id"] for e in everything.json()["items"]} == {"XK-2026-0001", "XK-3"}

        def sent(envelopes: list[dict[str, Any]]) -> bool:
            return sum("enforcement" in e["type"] for e in envelopes) >= 2

        receipts = await responder.receipts(sent)
        enforcement = [e for e in receipts if "enforcement" in e["type"]]
        assert len(enforcement) == 2
        first = next(e for e in enforcement if e["data"]["case_reference"] == "XK-2026-0001")
        assert first["id"] == created.json()["enforcement_id"]
        assert first["data"]["measure_code"] == "strict_licensing_review"
        assert first["data"]["amount"] == 5000.5
        assert first["data"]["outcome"] == "applied"
        assert first["data"]["target"] == {"kind": "organisation", "id": subject, "role": "subject"}
        declined = next(e for e in enforcement if e["data"]["case_reference"] == "XK-3")
        assert declined["data"]["outcome"] == "not_applied"
        assert declined["data"]["reason"] == "已主动整改"
