"""Designations through the initiator's API: the record, its event, access, input, idempotency."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from services.initiator.adapters.tables import metadata
from shared.auth.principal import Role
from shared.events.designations import DesignationState
from shared.events.envelope import Envelope
from shared.topics import Topic
from tests.support.auth import TestAuthority, TestIdentityProvider
from tests.support.initiator import (
    InitiatorHarness,
    designation_body,
    legal_representative,
    organisation_id,
)
from tests.support.kafka import read_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def initiator(
    database_url: str, bootstrap: str, authority: TestAuthority, tmp_path: Path
) -> Any:
    idp = TestIdentityProvider(tmp_path)
    async with InitiatorHarness(database_url, bootstrap, authority, **idp.settings) as harness:
        harness.idp = idp  # type: ignore[attr-defined]
        yield harness


async def test_a_designation_is_recorded_published_and_announced(
    initiator: InitiatorHarness,
) -> None:
    representative = legal_representative(name="李四")
    body = designation_body(responsible_persons=[representative])
    response = await initiator.client.post(
        "/v1/designations", json=body, headers=initiator.headers("court")
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["initiating_department"] == "court"
    assert (created["version"], created["status"]) == (1, "active")
    assert created["subject"] == body["subject"]
    assert created["responsible_persons"] == [representative]
    assert created["published_at"] == created["created_at"]
    assert created["publication_due_provisional"] is False
    assert created["publication_late"] is False

    records = await read_until(
        initiator.bootstrap,
        initiator.settings.topic(Topic.DESIGNATIONS),
        lambda records: len(records) >= 1,
    )
    [record] = records
    assert record.key == body["subject"]["id"].encode()
    event = Envelope.parse(record.value)
    assert event.type == "cn.jointcredit.designation.initiated.v1"
    assert event.subject == created["id"]
    assert event.source == "initiator"
    state = DesignationState.model_validate(event.data)
    assert (state.version, state.status.value, state.initiating_department) == (
        1,
        "active",
        "court",
    )
    assert state.responsible_persons[0].id == representative["id"]

    reader = initiator.headers("court", Role.initiator)
    fetched = await initiator.client.get(f"/v1/designations/{created['id']}", headers=reader)
    assert fetched.json() == created
    listed = await initiator.client.get("/v1/designations?status=active", headers=reader)
    assert [d["id"] for d in listed.json()["items"]] == [created["id"]]
    history = await initiator.client.get(
        f"/v1/designations/{created['id']}/history", headers=reader
    )
    [entry] = history.json()
    assert (entry["version"], entry["action"], entry["actor_department"]) == (
        1,
        "initiate",
        "court",
    )
    assert entry["event_id"] == str(event.id)


async def test_history_rows_cannot_be_changed(initiator: InitiatorHarness) -> None:
    created = await initiator.designate()
    with pytest.raises(Exception, match="append-only"):
        await initiator.execute(
            "UPDATE designation_history SET note = 'x' WHERE designation_id = :id",
            id=created["id"],
        )


async def test_wrong_role_or_department_is_forbidden(initiator: InitiatorHarness) -> None:
    body = designation_body()
    client = initiator.client
    no_token = await client.post("/v1/designations", json=body)
    assert no_token.status_code == 401
    assert no_token.headers["content-type"] == "application/problem+json"
    responder = await client.post(
        "/v1/designations", json=body, headers=initiator.headers("court", Role.responder)
    )
    assert responder.status_code == 403
    assert "initiator" in responder.json()["detail"]
    market = await client.post("/v1/designations", json=body, headers=initiator.headers("market"))
    assert market.status_code == 403
    assert "not a designating department" in market.json()["detail"]

    created = await initiator.designate()
    path = f"/v1/designations/{created['id']}"
    assert (await client.get(path, headers=initiator.headers("market"))).status_code == 403
    assert (
        await client.get(path, headers=initiator.headers("market", Role.responder))
    ).status_code == 403
    for role in (Role.oversight, Role.admin):
        assert (await client.get(path, headers=initiator.headers("fgw", role))).status_code == 200
    others = await client.get("/v1/designations", headers=initiator.headers("market"))
    assert others.json()["items"] == []
    foreign = await client.get(
        "/v1/designations?department=court", headers=initiator.headers("market")
    )
    assert foreign.status_code == 403


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (
            {"subject": {"kind": "organisation", "id": "91350100M000100Y44", "name": "x"}},
            "body.subject.id",
        ),
        (
            {"subject": {"kind": "person", "id": "11010519491231002Y", "name": "x"}},
            "body.subject.id",
        ),
        ({"list_type": "grey"}, "body.list_type"),
        ({"initiating_department": "market"}, "body.initiating_department"),
        ({"reason": "含有\x00字符"}, "body.reason"),
        ({"reason": "   "}, "body.reason"),
        ({"period_start": "2027-01-02", "period_end": "2027-01-01"}, "body.period_end"),
        ({"decided_at": "2999-01-01T00:00:00+08:00"}, "body.decided_at"),
        ({"evidence": ["x"] * 51}, "body.evidence"),
        ({"memorandum_code": "drop table;"}, "body.memorandum_code"),
    ],
)
async def test_malformed_input_is_a_422_naming_the_field(
    initiator: InitiatorHarness, change: dict[str, Any], location: str
) -> None:
    body = {**designation_body(), **change}
    response = await initiator.client.post(
        "/v1/designations", json=body, headers=initiator.headers()
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert location in [e["location"] for e in response.json()["errors"]]


async def test_the_catalogue_decides_what_is_admissible(initiator: InitiatorHarness) -> None:
    client, headers = initiator.client, initiator.headers()
    person_with_rep = designation_body(kind="person", responsible_persons=[legal_representative()])
    cases = [
        (person_with_rep, "body.responsible_persons"),
        (designation_body(list_type="red"), "body.list_type"),
        (designation_body(memorandum_code="no_such_memorandum"), "body.memorandum_code"),
    ]
    for body, location in cases:
        response = await client.post("/v1/designations", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert [e["location"] for e in response.json()["errors"]] == [location]
    finance = designation_body(kind="person", memorandum_code="finance_related")
    refused = await client.post("/v1/designations", json=finance, headers=initiator.headers("pboc"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["location"] == "body.subject.kind"
    for raw in (b"{", b"not json"):
        broken = await client.post(
            "/v1/designations",
            content=raw,
            headers={**headers, "content-type": "application/json"},
        )
        assert broken.status_code == 422


async def test_the_same_decision_is_never_designated_twice(initiator: InitiatorHarness) -> None:
    body = designation_body()
    first = await initiator.client.post("/v1/designations", json=body, headers=initiator.headers())
    again = dict(body, document_number=" " + body["document_number"].replace("(", "（") + " ")
    second = await initiator.client.post(
        "/v1/designations", json=again, headers=initiator.headers()
    )
    assert second.status_code == 409
    assert second.json()["existing_designation_id"] == first.json()["id"]
    assert first.json()["id"] in second.json()["detail"]
    other_department = await initiator.client.post(
        "/v1/designations",
        json=dict(body, memorandum_code="serious_dishonesty_general"),
        headers=initiator.headers("tax"),
    )
    assert other_department.status_code == 201
    other_document = await initiator.client.post(
        "/v1/designations",
        json=dict(body, document_number=body["document_number"] + "之一"),
        headers=initiator.headers(),
    )
    assert other_document.status_code == 201


async def test_an_idempotency_key_replays_the_first_answer(initiator: InitiatorHarness) -> None:
    body = designation_body()
    key = {"Idempotency-Key": f"req-{uuid.uuid4()}"}
    headers = {**initiator.headers(), **key}
    first = await initiator.client.post("/v1/designations", json=body, headers=headers)
    replay = await initiator.client.post("/v1/designations", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers

    different = await initiator.client.post(
        "/v1/designations", json=designation_body(), headers=headers
    )
    assert different.status_code == 422
    assert "different request" in different.json()["detail"]

    shared = designation_body()
    concurrent = await asyncio.gather(
        *(
            initiator.client.post(
                "/v1/designations",
                json=shared,
                headers={**initiator.headers(), "Idempotency-Key": "same-for-all"},
            )
            for _ in range(4)
        )
    )
    assert {r.status_code for r in concurrent} == {201}
    assert len({r.json()["id"] for r in concurrent}) == 1
    assert await initiator.scalar("SELECT count(*) FROM designations") == 2
    assert await initiator.scalar("SELECT count(*) FROM outbox") == 2


async def test_concurrent_transitions_cannot_both_win(initiator: InitiatorHarness) -> None:
    created = await initiator.designate()
    path = f"/v1/designations/{created['id']}/revocation"
    answers = await asyncio.gather(
        *(
            initiator.client.post(path, json={"reason": f"撤销{i}"}, headers=initiator.headers())
            for i in range(3)
        )
    )
    assert sorted(r.status_code for r in answers) == [200, 409, 409]
    assert (
        await initiator.scalar(
            "SELECT max(version) FROM designation_history WHERE designation_id = :id",
            id=created["id"],
        )
        == 2
    )


async def test_late_publication_is_flagged(initiator: InitiatorHarness) -> None:
    decided = datetime(2025, 9, 29, 17, 0, tzinfo=UTC)  # 30 Sep in Shanghai
    late = await initiator.designate(decided_at=decided, period_start=date(2025, 10, 1))
    assert (late["publication_due"], late["publication_late"]) == ("2025-10-16", True)
    recent = await initiator.designate(decided_at=datetime.now(UTC) - timedelta(days=1))
    assert recent["publication_late"] is False
    flagged = await initiator.client.get(
        "/v1/designations?publication_late=true", headers=initiator.headers()
    )
    assert [d["id"] for d in flagged.json()["items"]] == [late["id"]]


async def test_without_a_catalogue_designations_wait(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with InitiatorHarness(database_url, bootstrap, authority, catalogue=False) as initiator:
        response = await initiator.client.post(
            "/v1/designations", json=designation_body(), headers=initiator.headers()
        )
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"


async def test_the_migrations_build_exactly_the_declared_tables(
    initiator: InitiatorHarness,
) -> None:
    def differences(connection: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async with initiator.initiator.runtime.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_organisation_ids_are_normalised(initiator: InitiatorHarness) -> None:
    code = organisation_id()
    messy = " " + code.lower()[:9] + " " + code[9:] + " "
    created = await initiator.designate(subject_id=messy)
    assert created["subject"]["id"] == code


async def test_hostile_input_is_refused_with_problem_documents(
    initiator: InitiatorHarness,
) -> None:
    client, headers = initiator.client, initiator.headers()
    json_type = {**headers, "content-type": "application/json"}
    surrogate = json.dumps(designation_body()).replace('"name": "', '"name": "\\ud800')
    requests = [
        client.post("/v1/designations", content=surrogate.encode(), headers=json_type),
        client.post("/v1/designations", content=b"[]", headers=json_type),
        client.post(
            "/v1/designations", content=b"x=1", headers={**headers, "content-type": "text/plain"}
        ),
        client.post(
            "/v1/designations",
            json={**designation_body(), "reason": "长" * 100_000},
            headers=headers,
        ),
        client.post(
            "/v1/designations",
            json={**designation_body(), "decided_at": "0001-01-01T00:00:00+14:00"},
            headers=headers,
        ),
        client.post(
            "/v1/designations",
            json={**designation_body(), "period_end": "9999-12-31"},
            headers=headers,
        ),
        client.post(
            "/v1/designations",
            json=designation_body(),
            headers=[
                *((name.encode(), value.encode()) for name, value in headers.items()),
                (b"Idempotency-Key", "é".encode("latin-1")),
            ],
        ),
        client.get("/v1/designations?subject_id=%00", headers=headers),
        client.get("/v1/designations?department=%27%20OR%201%3D1%20--", headers=headers),
        client.get("/v1/public/lists/black?memorandum_code=%00"),
        client.post("/v1/imports", files={"file": ("a\x00.csv", b"\x00\x01")}, headers=headers),
        client.post(
            "/v1/public/objections",
            json={
                "designation_id": str(uuid.uuid4()),
                "subject_id": "x' OR '1'='1",
                "grounds": "x",
            },
            headers=initiator.idp.headers(organisation_id()),  # type: ignore[attr-defined]
        ),
    ]
    for request in requests:
        response = await request
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    openapi = (await client.get("/openapi.json")).json()
    assert "/v1/public/lists/black" in openapi["paths"]
