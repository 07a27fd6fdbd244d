"""The audit trail: every service chains its writes and administrative acts, oversight reads
and exports them, a tampered entry is found, and checks are counted rather than listed."""

from __future__ import annotations

import asyncio
import getpass
import io
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from jointcredit.audit_commands import verify_database
from jointcredit.cli import app as cli
from jointcredit.outbox_commands import requeue
from jointcredit.registry_commands import issue_credential, revoke_credential
from jointcredit.service_index import SERVICES
from shared.audit.appending import append
from shared.audit.entries import Act, Actor
from shared.auth.principal import Role
from shared.events.designations import DesignationEventType as Kind
from shared.persistence.database import drop_database
from shared.persistence.migrations import upgrade_to_head
from shared.settings import ServiceSettings
from tests.support.auth import TestAuthority
from tests.support.events import designation_state
from tests.support.feedback import running_feedback
from tests.support.initiator import InitiatorHarness, designation_body
from tests.support.registry import PLATFORM_ADMIN_DEPARTMENT, registry_settings, running_registry
from tests.support.responder import ResponderHarness, days_from_today

pytestmark = pytest.mark.integration


async def _entries(settings: ServiceSettings) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(settings.plain_database_url)
    try:
        rows = await connection.fetch("SELECT * FROM audit_log ORDER BY sequence")
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def _tamper(settings: ServiceSettings, sql: str) -> None:
    """What an owner of the database could do: switch the append-only trigger off."""
    connection = await asyncpg.connect(settings.plain_database_url)
    try:
        await connection.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        await connection.execute(sql)
        await connection.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    finally:
        await connection.close()


def _sessions(responder: ResponderHarness) -> Any:
    assert responder.app is not None
    return responder.app.state.runtime.sessions


def _actions(entries: Sequence[dict[str, Any]]) -> list[str]:
    return [entry["action"] for entry in entries]


async def _refused_without_change(
    client: httpx.AsyncClient, settings: ServiceSettings, *headers: dict[str, str]
) -> None:
    """No token: 401; each of `headers`: 403; problem documents, and no entry is added."""
    before = await _entries(settings)
    anonymous = await client.get("/v1/audit")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    for refused in headers:
        response = await client.get("/v1/audit", headers=refused)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        export = await client.get("/v1/audit", params={"format": "csv"}, headers=refused)
        assert export.status_code == 403
    assert await _entries(settings) == before


async def test_registry_acts_are_chained_read_by_oversight_and_tampering_is_found(
    database_url: str, bootstrap: str
) -> None:
    async with running_registry(database_url, bootstrap) as registry:
        settings = registry.settings
        await registry.seed()
        admin = await registry.admin_headers()
        oversight = await registry.headers("court", Role.oversight)
        added = await registry.client.post(
            "/v1/departments",
            json={
                "code": "audit_office",
                "name": "审计办公室",
                "level": "市",
                "region": "测试",
                "kind": "其他",
                "active": False,
            },
            headers=admin,
        )
        assert added.status_code == 201, added.text
        issued = await registry.client.post(
            "/v1/clients",
            json={"department_code": "court", "roles": ["responder"], "name": "执行系统"},
            headers=admin,
        )
        assert issued.status_code == 201, issued.text
        client_id = issued.json()["client_id"]
        deleted = await registry.client.delete(f"/v1/clients/{client_id}", headers=admin)
        assert deleted.status_code == 204
        rotated = await registry.client.post("/v1/keys/rotate", headers=admin)
        assert rotated.status_code == 200, rotated.text
        overrides: dict[str, Any] = {
            "database_url": database_url,
            "database_name": settings.database_name,
            "kafka_bootstrap_servers": bootstrap,
        }
        by_cli = await asyncio.to_thread(issue_credential, "market", [Role.responder], **overrides)
        await asyncio.to_thread(revoke_credential, by_cli["client_id"], **overrides)

        entries = await _entries(settings)
        actions = _actions(entries)
        for action in (
            "catalogue.version_published",
            "credential.issued",
            "credential.revoked",
            "signing_key.created",
            "signing_key.rotated",
        ):
            assert action in actions, actions
        assert [entry["sequence"] for entry in entries] == list(range(1, len(entries) + 1))
        seeded = entries[0]
        assert (seeded["action"], seeded["actor"], seeded["target"]) == (
            "catalogue.version_published",
            "seed",
            "1",
        )
        by_api = next(e for e in entries if e["target"] == client_id)
        assert by_api["department"] == PLATFORM_ADMIN_DEPARTMENT
        assert by_api["role"] == "admin"
        assert by_api["client"] == by_api["actor"]
        trace_id = issued.headers["traceparent"].split("-")[1]
        assert by_api["request_id"] == trace_id
        assert '"roles":["responder"]' in by_api["change"]
        operator = [e for e in entries if e["target"] == by_cli["client_id"]]
        assert [e["action"] for e in operator] == ["credential.issued", "credential.revoked"]
        assert {e["actor"] for e in operator} == {f"cli:{getpass.getuser()}"}
        assert {e["request_id"] for e in operator} == {None}

        report = await verify_database(settings)
        assert (report.entries, report.broken) == (len(entries), None)

        await _refused_without_change(
            registry.client,
            settings,
            await registry.headers("court", Role.admin),
            await registry.headers(PLATFORM_ADMIN_DEPARTMENT, Role.initiator),
        )

        page = await registry.client.get("/v1/audit", params={"limit": 2}, headers=oversight)
        assert page.status_code == 200, page.text
        first = page.json()
        assert [item["sequence"] for item in first["items"]] == [1, 2]
        assert first["next_after"] == 2
        assert first["items"][0]["change"]["note"] == "the seed catalogue"
        rest = await registry.client.get(
            "/v1/audit", params={"after": 2, "limit": 1000}, headers=admin
        )
        assert rest.json()["next_after"] is None
        issued_only = await registry.client.get(
            "/v1/audit",
            params={"action": "credential.issued", "department": PLATFORM_ADMIN_DEPARTMENT},
            headers=oversight,
        )
        assert [i["target"] for i in issued_only.json()["items"]] == [client_id]
        later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        none = await registry.client.get("/v1/audit", params={"since": later}, headers=oversight)
        assert none.json()["items"] == []
        export = await registry.client.get("/v1/audit", headers=oversight | {"Accept": "text/csv"})
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("text/csv")
        lines = export.content.decode("utf-8-sig").strip().splitlines()
        assert lines[0].startswith("sequence,at,actor")
        assert len(lines) == 1 + len(await _entries(settings))

        connection = await asyncpg.connect(settings.plain_database_url)
        try:
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await connection.execute("UPDATE audit_log SET actor = 'x' WHERE sequence = 1")
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await connection.execute("DELETE FROM audit_log WHERE sequence = 1")
        finally:
            await connection.close()

        await _tamper(settings, """UPDATE audit_log SET change = '{}' WHERE sequence = 3""")
        report = await verify_database(settings)
        assert report.broken is not None
        assert report.broken.sequence == 3
        assert report.entries == 2
        env = {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        }
        name = str(settings.database_name)
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, ["audit", "verify", "--database-name", name], env=env
        )
        assert result.exit_code == 1
        assert "broken at entry 3" in result.stderr


async def test_an_outbox_requeue_by_the_operator_is_recorded(
    database_url: str, bootstrap: str
) -> None:
    async with running_registry(database_url, bootstrap) as registry:
        await registry.seed()
        count = await requeue(registry.settings, datetime.now(UTC) - timedelta(hours=1), None)
        entries = await _entries(registry.settings)
        assert entries[-1]["action"] == "outbox.requeued"
        assert entries[-1]["actor"] == f"cli:{getpass.getuser()}"
        assert f'"rows":{count}' in entries[-1]["change"]
        assert (await verify_database(registry.settings)).intact


async def test_a_deleted_entry_breaks_the_chain_at_the_next_one(
    database_url: str, bootstrap: str
) -> None:
    async with running_registry(database_url, bootstrap) as registry:
        await registry.seed()
        await registry.admin_headers()
        await registry.admin_headers()
        settings = registry.settings
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            ["audit", "verify", "--database-name", str(settings.database_name)],
            env={"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap},
        )
        assert result.exit_code == 0, result.stderr
        count = len(await _entries(settings))
        assert (
            result.stdout.strip()
            == f"audit chain of {settings.database_name}: {count} entries verify"
        )
        await _tamper(settings, "DELETE FROM audit_log WHERE sequence = 2")
        report = await verify_database(settings)
        assert report.broken is not None
        assert report.broken.sequence == 3
        assert "missing" in report.broken.reason


async def test_concurrent_writers_chain_in_commit_order(database_url: str, bootstrap: str) -> None:
    """Many transactions appending at once (as replicas do) leave one unbroken chain; a rolled
    back write leaves no entry."""
    async with running_registry(database_url, bootstrap) as registry:
        sessions = registry.registry.runtime.sessions

        async def write(number: int) -> None:
            async with sessions() as session:
                acts = [Act(Actor(f"writer-{number}"), "test.write", str(number), {"n": number})]
                await append(session, acts * (1 + number % 3))
                await asyncio.sleep(0.001 * (number % 5))
                if number % 7 == 0:
                    await session.rollback()
                else:
                    await session.commit()

        await asyncio.gather(*(write(number) for number in range(40)))
        entries = await _entries(registry.settings)
        expected = sum(1 + n % 3 for n in range(40) if n % 7)
        assert len(entries) == expected
        assert [e["sequence"] for e in entries] == list(range(1, expected + 1))
        report = await verify_database(registry.settings)
        assert report.intact
        assert report.entries == expected


async def test_initiator_designations_and_applications_are_chained(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with InitiatorHarness(database_url, bootstrap, authority) as initiator:
        court = initiator.headers("court")
        revoked = await initiator.designate()
        objected = await initiator.designate()
        response = await initiator.client.post(
            f"/v1/designations/{revoked['id']}/revocation",
            json={"reason": "决定撤销"},
            headers=court,
        )
        assert response.status_code == 200, response.text
        objection = await initiator.client.post(
            f"/v1/designations/{objected['id']}/objections",
            json={"grounds": "信息不实"},
            headers=court,
        )
        assert objection.status_code == 201, objection.text
        objection_id = objection.json()["id"]
        decision = await initiator.client.post(
            f"/v1/objections/{objection_id}/decision", json={"outcome": "rejected"}, headers=court
        )
        assert decision.status_code == 200, decision.text
        overseer = authority.headers("fgw", Role.oversight)
        republish = await initiator.client.post(
            "/v1/republish",
            json={"designation_ids": [revoked["id"]], "reason": "operator"},
            headers=overseer,
        )
        assert republish.status_code == 202, republish.text

        entries = await _entries(initiator.settings)
        assert _actions(entries) == [
            "designation.initiated",
            "designation.initiated",
            "designation.revoked",
            "designation.suspended",
            "objection.filed",
            "designation.resumed",
            "objection.decided",
            "republish.requested",
        ]
        assert [e["target"] for e in entries[:3]] == [revoked["id"], objected["id"], revoked["id"]]
        assert {(e["department"], e["client"], e["role"]) for e in entries[:7]} == {
            ("court", "court-client", "initiator")
        }
        assert entries[7]["role"] == "oversight"
        assert '"status":"revoked"' in entries[2]["change"]
        assert (await verify_database(initiator.settings)).intact

        await _refused_without_change(
            initiator.client,
            initiator.settings,
            court,
            authority.headers("court", Role.admin),
        )
        listed = await initiator.client.get(
            "/v1/audit", params={"action": "designation.revoked"}, headers=overseer
        )
        assert [i["target"] for i in listed.json()["items"]] == [revoked["id"]]
        platform_admin = authority.headers(PLATFORM_ADMIN_DEPARTMENT, Role.admin)
        assert (await initiator.client.get("/v1/audit", headers=platform_admin)).status_code == 200

        started = await initiator.client.post("/v1/imports", **_import_file(), headers=court)
        assert started.status_code == 202, started.text
        import_id = started.json()["import_id"]
        for _ in range(100):
            progress = await initiator.client.get(f"/v1/imports/{import_id}", headers=court)
            if progress.json()["state"] == "completed":
                break
            await asyncio.sleep(0.1)
        imported = (await _entries(initiator.settings))[len(entries) :]
        assert _actions(imported) == ["import.accepted", "designation.initiated"]
        assert imported[0]["target"] == import_id
        assert f"import {import_id}" in imported[1]["change"]
        assert (await verify_database(initiator.settings)).entries == len(entries) + 2


def _import_file() -> dict[str, Any]:
    body = designation_body()
    columns = ("reason", "legal_basis", "document_number", "period_start")
    csv = "subject_id,subject_name,decided_at," + ",".join(columns) + "\n"
    csv += ",".join(
        [body["subject"]["id"], body["subject"]["name"], body["decided_at"][:10]]
        + [body[c] for c in columns]
    )
    return {
        "files": {"file": ("list.csv", io.BytesIO(csv.encode()), "text/csv")},
        "data": {"memorandum_code": "dishonest_judgment_debtors", "list_type": "black"},
    }


async def test_responder_enforcements_are_chained_and_checks_counted_per_client_and_day(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "market") as responder:
        await responder.ready()
        state = designation_state(period_start=days_from_today(-10))
        await responder.publish_states(Kind.initiated, state)
        await responder.settled(state["id"], 1)
        subject = state["subject"]["id"]
        body = {
            "case_id": "AUD-1",
            "business_system": "licensing",
            "scenario": "licensing",
            "measure_code": "strict_licensing_review",
            "designation_id": state["id"],
            "subject_id": subject,
            "outcome": "applied",
            "result": "不予许可",
            "amount": 5000.5,
            "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        }
        recorded = await responder.client.post(
            "/v1/enforcements", json=body, headers=responder.headers()
        )
        assert recorded.status_code == 201, recorded.text
        replayed = await responder.client.post(
            "/v1/enforcements", json=body, headers=responder.headers()
        )
        assert replayed.status_code == 200
        entries = await _entries(responder.settings)
        assert _actions(entries) == ["enforcement.recorded"]
        assert entries[0]["target"] == recorded.json()["enforcement_id"]
        assert (entries[0]["department"], entries[0]["client"]) == ("market", "market-client")
        assert '"amount":5000.5' in entries[0]["change"]
        assert (await verify_database(responder.settings)).intact

        other = {"Authorization": f"Bearer {authority.token('market', client_id='counter-2')}"}
        for _ in range(2):
            answer = await responder.client.get(
                f"/v1/checks/{subject}", headers=responder.headers()
            )
            assert answer.status_code == 200
        batch = await responder.client.post(
            "/v1/checks/batch", json={"subject_ids": [subject, subject, "bad"]}, headers=other
        )
        assert batch.status_code == 200
        await responder.state.check_counts.flush(_sessions(responder))
        await responder.client.get(f"/v1/checks/{subject}", headers=responder.headers())
        await responder.state.check_counts.flush(_sessions(responder))
        connection = await asyncpg.connect(responder.settings.plain_database_url)
        try:
            counted = await connection.fetch("SELECT client, day, checks FROM check_counts")
        finally:
            await connection.close()
        days = {row["day"] for row in counted}
        assert len(days) == 1
        assert {row["client"]: row["checks"] for row in counted} == {
            "market-client": 3,
            "counter-2": 3,
        }
        assert _actions(await _entries(responder.settings)) == ["enforcement.recorded"]

        await _refused_without_change(
            responder.client,
            responder.settings,
            responder.headers(),
            authority.headers("market", Role.admin),
        )
        overseer = authority.headers("fgw", Role.oversight)
        listed = await responder.client.get("/v1/audit", headers=overseer)
        assert listed.status_code == 200
        assert listed.json()["items"][0]["change"]["case_id"] == "AUD-1"


async def test_feedback_reconciliation_requests_are_chained(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with running_feedback(
        database_url, bootstrap, authority, run_consumer=False, run_relay=False
    ) as service:
        overseer = authority.headers("oversight", Role.oversight)
        response = await service.client.post(
            "/v1/reconciliation", json={"reason": "overdue_receipt"}, headers=overseer
        )
        assert response.status_code == 202, response.text
        entries = await _entries(service.settings)
        assert _actions(entries) == ["reconciliation.requested"]
        assert entries[0]["department"] == "oversight"
        assert (await verify_database(service.settings)).intact
        await _refused_without_change(
            service.client, service.settings, authority.headers("court", Role.admin)
        )


async def test_the_route_validates_its_filters(database_url: str, bootstrap: str) -> None:
    async with running_registry(database_url, bootstrap) as registry:
        await registry.seed()
        oversight = await registry.headers("court", Role.oversight)
        for params in ({"limit": 0}, {"since": "yesterday"}, {"format": "xml"}, {"after": -1}):
            response = await registry.client.get("/v1/audit", params=params, headers=oversight)
            assert response.status_code == 422, params
            assert response.headers["content-type"].startswith("application/problem+json")
        unknown = await registry.client.get(
            "/v1/audit", params={"client": uuid.uuid4().hex}, headers=oversight
        )
        assert unknown.json() == {"items": [], "next_after": None}
        async with registry.registry.runtime.sessions() as session:
            assert await session.scalar(text("SELECT count(*) FROM audit_log")) >= 1


async def test_verify_finds_a_service_database_by_its_namespace(
    database_url: str, bootstrap: str
) -> None:
    namespace = f"audit{uuid.uuid4().hex[:8]}"
    settings = registry_settings(database_url, bootstrap, f"{namespace}_registry")
    await upgrade_to_head(SERVICES["registry"].migrations_dir, settings)
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}

    async def verify(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify", *args], env=env)

    try:
        found = await verify("--service", "registry", "--namespace", namespace)
        assert found.exit_code == 0, found.output
        assert found.stdout.strip() == f"audit chain of {namespace}_registry: 0 entries verify"
        assert (await verify("--service", "responder")).exit_code == 2
        assert (await verify("--service", "registry", "--department", "court")).exit_code == 2
        missing = await verify("--service", "feedback", "--namespace", namespace)
        assert missing.exit_code == 2
        assert "cannot read the audit trail" in missing.stderr
    finally:
        await drop_database(database_url, f"{namespace}_registry")
