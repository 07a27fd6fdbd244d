"""`jointcredit seed` and `jointcredit credentials …` on a registry database of their own."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest
from typer.testing import CliRunner

from jointcredit.cli import app
from services.registry.domain.client_secrets import secret_matches
from shared.persistence.database import drop_database
from shared.settings import libpq_url

pytestmark = pytest.mark.integration


async def test_seed_issue_and_rotate_on_a_fresh_database(database_url: str, bootstrap: str) -> None:
    name = f"registry_cli_{uuid.uuid4().hex[:10]}"
    env = {
        "DATABASE_URL": database_url,
        "DATABASE_NAME": name,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TOPIC_PREFIX": f"t{uuid.uuid4().hex[:8]}.",
    }
    runner = CliRunner()

    async def run(*args: str) -> tuple[int, str, str]:
        result = await asyncio.to_thread(runner.invoke, app, list(args), env=env)
        return result.exit_code, result.stdout, result.stderr

    try:
        code, out, _ = await run("seed")
        assert code == 0, out
        assert out.strip() == "catalogue version 1 loaded from catalogue.json"
        code, out, _ = await run("seed")
        assert code == 0
        assert "version 1 already published" in out

        code, out, _ = await run(
            "credentials", "issue", "--department", "fgw", "--roles", "admin,oversight"
        )
        assert code == 0, out
        issued = json.loads(out)
        assert issued["department_code"] == "fgw"
        assert issued["roles"] == ["admin", "oversight"]

        code, _, err = await run("credentials", "issue", "--department", "mars", "--roles", "admin")
        assert code == 1
        assert "unknown department 'mars'" in err
        code, _, err = await run("credentials", "issue", "--department", "fgw", "--roles", "boss")
        assert code == 2
        assert "roles are: admin" in err

        code, out, _ = await run("credentials", "rotate-key")
        first = json.loads(out)
        code, out, _ = await run("credentials", "rotate-key")
        second = json.loads(out)
        assert code == 0
        assert [k["kid"] for k in second["superseded"]] == [first["kid"]]

        connection = await asyncpg.connect(libpq_url(database_url, name))
        try:
            stored = await connection.fetchval(
                "SELECT secret_hash FROM api_clients WHERE client_id = $1", issued["client_id"]
            )
            events = await connection.fetch("SELECT topic, key FROM outbox")
            versions = await connection.fetchval("SELECT count(*) FROM catalogue_versions")
        finally:
            await connection.close()
        assert issued["client_secret"] not in stored
        assert secret_matches(issued["client_secret"], stored)
        assert [(e["topic"], e["key"]) for e in events] == [
            (f"{env['TOPIC_PREFIX']}jointcredit.catalogue.v1", b"catalogue")
        ]
        assert versions == 1
    finally:
        await drop_database(database_url, name)
