"""Deadlines to the second across a holiday, designations before the catalogue, the registry
read on a gap, and events feedback cannot read going to the dead-letter topic."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.auth.principal import Role
from shared.events.designations import DesignationEventType
from shared.events.envelope import new_event
from shared.events.receipts import RECEIPT_BUNDLE, ReceiptEventType
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, seed_document
from tests.support.feedback import (
    SHANGHAI,
    RunningFeedback,
    at,
    catalogue_events,
    department_change,
    make_receipt,
    owing_departments,
    publish_all,
    running_feedback,
)
from tests.support.kafka import read_until, wait_for

pytestmark = pytest.mark.integration

REACHED = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)


def _shanghai(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).isoformat()


async def _overdue(
    service: RunningFeedback, authority: TestAuthority, as_of: str
) -> dict[str, Any]:
    response = await service.client.get(
        "/v1/overdue",
        params={"as_of": _shanghai(as_of)},
        headers=authority.headers("oversight", Role.oversight),
    )
    assert response.status_code == 200, response.text
    return {d["department_code"]: d for d in response.json()["departments"]}


async def test_unanswered_becomes_overdue_exactly_after_the_due_day_across_national_day(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    state = designation_state(memorandum_code="tax_credit_a", list_type="red", serial=424242)
    initiated = at(
        new_event(DesignationEventType.initiated.value, "initiator", state, subject=state["id"]),
        REACHED,
    )
    owing = owing_departments(seed_document(), "tax_credit_a")
    answered_in_time = make_receipt(
        ReceiptEventType.received,
        "tax",
        state,
        initiated,
        datetime(2025, 10, 9, 9, tzinfo=SHANGHAI),
    )
    answered_late = make_receipt(
        ReceiptEventType.received,
        "market",
        state,
        initiated,
        datetime(2025, 10, 20, 9, tzinfo=SHANGHAI),
    )
    async with running_feedback(database_url, bootstrap, authority) as service:
        await publish_all(service.settings, Topic.DESIGNATIONS, [initiated])
        await service.wait_consumed(1)
        assert await service.scalar("SELECT count(*) FROM expectations") == 0
        assert await service.scalar("SELECT obligations_version FROM designations") is None

        await publish_all(service.settings, Topic.CATALOGUE, catalogue_events())
        await service.wait_catalogue(1)
        assert await service.scalar("SELECT count(*) FROM expectations") == len(owing)
        await publish_all(
            service.settings,
            Topic.RECEIPTS,
            [answered_in_time.envelope, answered_late.envelope],
        )
        await service.wait_consumed(4)

        five_days = {code for code, (days, _) in owing.items() if days == 5}
        seven_days = {code for code, (days, _) in owing.items() if days == 7}
        assert seven_days == {"justice"}

        assert await _overdue(service, authority, "2025-10-14T23:59:59") == {}
        after = await _overdue(service, authority, "2025-10-15T00:00:01")
        assert set(after) == five_days - {"tax"}
        for department in after.values():
            (item,) = department["designations"]
            assert item["designation_id"] == state["id"]
            assert item["due_date"] == "2025-10-14"
            assert item["overdue_from"].startswith("2025-10-15T00:00:00")
            assert item["deadline_provisional"] is False
            assert item["workdays_overdue"] == 1

        assert "justice" not in await _overdue(service, authority, "2025-10-16T23:59:59")
        justice = (await _overdue(service, authority, "2025-10-17T00:00:01"))["justice"]
        assert justice["designations"][0]["due_date"] == "2025-10-16"

        later = await _overdue(service, authority, "2025-10-21T00:00:00")
        assert "market" not in later
        assert set(later) == (five_days | seven_days) - {"tax", "market"}

        response = await service.client.get(
            "/v1/statistics/departments",
            params={"as_of": _shanghai("2025-10-21T00:00:00"), "department": "market"},
            headers=authority.headers("oversight", Role.oversight),
        )
        (market,) = response.json()["rows"]
        assert (market["owed"], market["acknowledged"], market["answered_late"]) == (1, 1, 1)
        assert market["overdue"] == 0
        assert market["median_response_seconds"] == 20 * 86400 - 3600


class _Registry:
    """A registry answering `GET /v1/catalogue` with the document it is given."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {}
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(registry.document).encode()
                self.send_response(200 if self.path == "/v1/catalogue" else 404)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, version: int, **department_values: dict[str, Any]) -> None:
        document = seed_document()
        for department in document["departments"]:
            department.update(department_values.get(department["code"], {}))
        self.document = {"version": version, "published_at": None, **document}


@pytest.fixture
def registry() -> Iterator[_Registry]:
    fake = _Registry()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


async def test_catalogue_is_read_from_the_registry_at_start_and_on_a_gap(
    database_url: str, bootstrap: str, authority: TestAuthority, registry: _Registry
) -> None:
    registry.serve(3)
    async with running_feedback(
        database_url, bootstrap, authority, registry_url=registry.url
    ) as service:
        assert await service.scalar("SELECT version FROM catalogue_state") == 3
        document = seed_document()
        announced = catalogue_events([department_change(document, "tax", active=False)])
        announced[1] = announced[1].model_copy(update={"data": {**announced[1].data, "version": 5}})
        registry.serve(5, tax={"active": False})
        await publish_all(service.settings, Topic.CATALOGUE, announced)
        await service.wait_catalogue(5)
        state = designation_state(memorandum_code="tax_credit_a", list_type="red")
        await publish_all(
            service.settings,
            Topic.DESIGNATIONS,
            [
                new_event(
                    DesignationEventType.initiated.value, "initiator", state, subject=state["id"]
                )
            ],
        )
        await service.wait_consumed(3)
        owing = set(owing_departments(document, "tax_credit_a")) - {"tax"}
        got = await service.scalar(
            "SELECT array_agg(department_code ORDER BY department_code) FROM expectations"
        )
        assert set(got) == owing
        assert await service.scalar("SELECT obligations_version FROM designations") == 5


async def test_events_feedback_cannot_read_are_dead_lettered_and_the_partition_moves_on(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    state = designation_state(serial=99)
    initiated = new_event(
        DesignationEventType.initiated.value, "initiator", state, subject=state["id"]
    )
    good = make_receipt(ReceiptEventType.received, "court", state, initiated, REACHED)
    invalid = new_event(
        ReceiptEventType.received.value,
        "responder-court",
        {k: v for k, v in good.data.items() if k != "department_code"},
        subject=state["id"],
    )
    unknown_version = new_event(
        "receipt.received.v9", "responder-court", good.data, subject=state["id"]
    )
    foreign_bundle = new_event(
        RECEIPT_BUNDLE,
        "responder-market",
        {
            "department_code": "market",
            "designation_id": state["id"],
            "receipts": [{"type": ReceiptEventType.received.value, "data": good.data}],
        },
        subject=state["id"],
    )
    async with running_feedback(database_url, bootstrap, authority) as service:
        await publish_all(
            service.settings,
            Topic.RECEIPTS,
            [invalid, unknown_version, foreign_bundle, good.envelope],
        )

        async def stored() -> bool:
            return bool(await service.scalar("SELECT count(*) FROM receipts") == 1)

        await wait_for(stored)
        letters = await read_until(
            bootstrap,
            service.settings.topic(Topic.DEAD_LETTERS),
            lambda found: len(found) >= 3,
        )
        ids = {dict(r.headers)["ce_id"].decode() for r in letters}
        assert ids == {str(invalid.id), str(unknown_version.id), str(foreign_bundle.id)}
        for letter in letters:
            headers = dict(letter.headers)
            assert headers["dlq_consumer"].decode() == service.settings.consumer_group
            assert (
                b"feedback does not read" in headers["dlq_error"]
                or b"invalid" in headers["dlq_error"]
                or b"another department or designation" in headers["dlq_error"]
            )
