"""The catalogue and re-publish requests through the broker, re-publication over REST, and the
catalogue read from the registry when none is held."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from services.initiator.handlers.catalogue import apply_version
from shared.auth.principal import Role
from shared.catalogue import Catalogue
from shared.events.catalogue import CatalogueChange, CatalogueVersionPublished
from shared.events.envelope import Envelope, new_event
from shared.events.republish import REPUBLISH_REQUESTED
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import publish, seed_catalogue_event, seed_document
from tests.support.initiator import InitiatorHarness, designation_body
from tests.support.kafka import read_until, wait_for

pytestmark = pytest.mark.integration

REPUBLISHED = "cn.jointcredit.designation.republished.v1"


def _republished(events: list[Envelope], request_id: str) -> list[Envelope]:
    return [
        e
        for e in events
        if e.type == REPUBLISHED and e.data.get("republish_request_id") == request_id
    ]


async def test_catalogue_and_republish_requests_arrive_through_the_broker(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with InitiatorHarness(
        database_url, bootstrap, authority, catalogue=False, consume=True
    ) as initiator:
        await publish(initiator.settings, Topic.CATALOGUE, [seed_catalogue_event()])

        async def held() -> Any:
            return await initiator.scalar("SELECT max(version) FROM catalogue_versions")

        await wait_for(held, timeout_s=30)
        designation = await initiator.designate()
        await initiator.client.post(
            f"/v1/designations/{designation['id']}/revocation",
            json={"reason": "撤销"},
            headers=initiator.headers(),
        )

        change = CatalogueChange(
            entity="department",
            action="changed",
            code="market",
            value={**_department(seed_document(), "market"), "active": False},
        )
        version_2 = CatalogueVersionPublished(version=2, changes=(change,))
        request_id = str(uuid.uuid4())
        malformed = new_event(REPUBLISH_REQUESTED, "feedback", {"request_id": request_id})
        request = new_event(
            REPUBLISH_REQUESTED,
            "feedback",
            {
                "request_id": request_id,
                "designation_ids": [designation["id"]],
                "reason": "overdue_receipt",
            },
        )
        await publish(
            initiator.settings,
            Topic.CATALOGUE,
            [
                new_event(
                    "catalogue.version.published.v1", "registry", version_2.model_dump(mode="json")
                )
            ],
        )
        await publish(initiator.settings, Topic.REPUBLISH_REQUESTS, [malformed, request, request])

        events = await initiator.designation_events(
            lambda events: len(_republished(events, request_id)) >= 1
        )
        [again] = _republished(events, request_id)
        assert again.subject == designation["id"]
        assert (again.data["version"], again.data["status"]) == (2, "revoked")
        assert await held() == 2
        dead = await read_until(
            bootstrap, initiator.settings.topic(Topic.DEAD_LETTERS), lambda r: len(r) >= 1
        )
        assert [Envelope.parse(r.value).id for r in dead] == [malformed.id]
        assert await initiator.scalar("SELECT count(*) FROM republish_requests") == 1


def _department(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(d for d in document["departments"] if d["code"] == code)


async def test_republication_of_designations_a_department_or_all(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with InitiatorHarness(
        database_url, bootstrap, authority, republish_batch_size=2
    ) as initiator:
        made = [await initiator.designate() for _ in range(3)]
        made.append(
            await initiator.designate("tax", memorandum_code="tax_credit_a", list_type="red")
        )
        made.append(
            await initiator.designate("pboc", memorandum_code="finance_related", list_type="black")
        )
        await initiator.client.post(
            f"/v1/designations/{made[0]['id']}/extension",
            json={"period_end": "2031-12-31", "reason": "延长"},
            headers=initiator.headers(),
        )
        catalogue = Catalogue.from_document(seed_document())
        owed_by_railway = {
            d["id"] for d in made if "railway" in catalogue.departments_owing(d["memorandum_code"])
        }
        assert 0 < len(owed_by_railway) < len(made)

        refused = await initiator.client.post(
            "/v1/republish", json={"all": True}, headers=initiator.headers("court")
        )
        assert refused.status_code == 403
        ambiguous = await initiator.client.post(
            "/v1/republish",
            json={"all": True, "department_code": "finance"},
            headers=initiator.headers("fgw", Role.oversight),
        )
        assert ambiguous.status_code == 422

        expected = {
            "department": ({"department_code": "railway"}, owed_by_railway),
            "all": ({"all": True}, {d["id"] for d in made}),
            "some": (
                {"designation_ids": [made[0]["id"], made[3]["id"]]},
                {made[0]["id"], made[3]["id"]},
            ),
        }
        requests: dict[str, str] = {}
        for name, (body, _) in expected.items():
            response = await initiator.client.post(
                "/v1/republish", json=body, headers=initiator.headers("fgw", Role.oversight)
            )
            assert response.status_code == 202, response.text
            requests[name] = response.json()["request_id"]

        for name, request_id in requests.items():
            path = f"/v1/republish/{request_id}"
            headers = initiator.headers("oversight", Role.admin)

            async def done(path: str = path, headers: dict[str, str] = headers) -> bool:
                answer = (await initiator.client.get(path, headers=headers)).json()
                return bool(answer["state"] == "done")

            await wait_for(done, timeout_s=20)
            progress = (await initiator.client.get(path, headers=headers)).json()
            assert progress["republished"] == len(expected[name][1])

        events = await initiator.designation_events(
            lambda events: all(
                len(_republished(events, requests[name])) >= len(ids)
                for name, (_, ids) in expected.items()
            )
        )
        for name, (_, ids) in expected.items():
            republished = _republished(events, requests[name])
            assert {e.subject for e in republished} == ids, name
            assert len(republished) == len(ids)
        versions = {e.subject: e.data["version"] for e in _republished(events, requests["all"])}
        assert versions[made[0]["id"]] == 2
        assert {versions[d["id"]] for d in made[1:]} == {1}


class _Registry(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, dict[str, Any]]] = {}

    def do_GET(self) -> None:
        document = self.documents.get(self.path)
        body = json.dumps(document).encode()
        self.send_response(200 if document else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return


@contextmanager
def registry_serving(documents: dict[str, dict[str, Any]]) -> Iterator[str]:
    handler = type("Registry", (_Registry,), {"documents": documents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_the_catalogue_is_read_from_the_registry_when_none_is_held(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    seed = seed_document()
    version_3 = {**seed, "version": 3, "memoranda": seed["memoranda"][:-1]}
    documents = {"/v1/catalogue": {**seed, "version": 1}, "/v1/catalogue/versions/3": version_3}
    with registry_serving(documents) as registry_url:
        async with InitiatorHarness(
            database_url,
            bootstrap,
            authority,
            catalogue=False,
            follow_registry=True,
            registry_url=registry_url,
            catalogue_fetch_interval_s=0.2,
        ) as initiator:

            async def held() -> Any:
                return await initiator.scalar("SELECT max(version) FROM catalogue_versions")

            await wait_for(held, timeout_s=20)
            await initiator.designate()

            context = initiator.initiator.context
            for version in (3, 2):  # a gap is filled from the registry; an older one ignored
                async with context.unit_of_work() as uow:
                    event = CatalogueVersionPublished(version=version, changes=())
                    await apply_version(context, uow.session, event)
                    await uow.commit()
            assert await held() == 3
            dropped = seed["memoranda"][-1]
            response = await initiator.client.post(
                "/v1/designations",
                json=designation_body(memorandum_code=dropped["code"], list_type="red"),
                headers=initiator.headers(dropped["designating_departments"][0]),
            )
            assert response.status_code == 422
            [error] = response.json()["errors"]
            assert error["location"] == "body.memorandum_code"
            assert "catalogue version 3" in error["message"]


async def test_a_responder_asks_for_the_memoranda_a_catalogue_revision_changed(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    """`department_code` with `memorandum_codes` (reason `catalogue_revised`): only those
    memoranda's designations, and only memoranda the department should hold."""
    async with InitiatorHarness(database_url, bootstrap, authority, consume=True) as initiator:
        judgment = await initiator.designate()
        finance = await initiator.designate(
            "pboc", memorandum_code="finance_related", list_type="black"
        )
        catalogue = Catalogue.from_document(seed_document())
        both = catalogue.departments_owing(judgment["memorandum_code"]) & (
            catalogue.departments_owing("finance_related")
        )
        department = sorted(both)[0]
        request_id = str(uuid.uuid4())
        request = new_event(
            REPUBLISH_REQUESTED,
            f"responder-{department}",
            {
                "request_id": request_id,
                "department_code": department,
                "memorandum_codes": ["finance_related", "no_such_memorandum"],
                "reason": "catalogue_revised",
            },
        )
        await publish(initiator.settings, Topic.REPUBLISH_REQUESTS, [request])

        async def done() -> bool:
            state = await initiator.scalar(
                "SELECT state FROM republish_requests WHERE id = :id", id=request_id
            )
            return bool(state == "done")

        await wait_for(done, timeout_s=30)
        events = await initiator.designation_events(
            lambda events: len(_republished(events, request_id)) >= 1
        )
        assert [e.subject for e in _republished(events, request_id)] == [finance["id"]]
        assert judgment["id"] != finance["id"]
        memoranda = await initiator.scalar(
            "SELECT memoranda FROM republish_requests WHERE id = :id", id=request_id
        )
        assert memoranda == ["finance_related"]
