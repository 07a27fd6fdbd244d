"""`jointcredit outbox status|requeue` on a real service database, through the command line."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from jointcredit.cli import app
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.envelope import new_event
from shared.persistence.database import make_engine, make_sessionmaker
from tests.support.infra import fresh_delivery_database, settings_for

pytestmark = pytest.mark.integration


async def test_requeue_marks_recent_sent_rows_unsent_and_status_shows_them(
    database_url: str, bootstrap: str
) -> None:
    name = await fresh_delivery_database(database_url)
    engine = make_engine(settings_for(database_url, bootstrap, name))
    sessions = make_sessionmaker(engine)
    topic = f"test.requeue.{uuid.uuid4().hex[:6]}"
    other = f"{topic}.other"
    async with sessions() as session:
        await add_events(
            session,
            [
                OutgoingEvent(t, "k", new_event("test.requeue.v1", "tests", {"n": n}))
                for n, t in enumerate([topic] * 3 + [other] * 2)
            ],
        )
        await session.execute(text("UPDATE outbox SET sent_at = now() - interval '1 hour'"))
        await session.execute(
            text("UPDATE outbox SET sent_at = now() - interval '3 days' WHERE position = 1")
        )
        await session.commit()
    env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "COLUMNS": "200"}
    runner = CliRunner()

    async def invoke(*args: str) -> Result:
        # the commands call asyncio.run themselves: not on this test's event loop
        return await asyncio.to_thread(lambda: runner.invoke(app, list(args), env=env))

    try:
        answer = await invoke(
            "outbox", "requeue", "--since-hours", "2", "--topic", topic, "--database-name", name
        )
        assert answer.exit_code == 0, answer.output
        assert "2 events marked" in answer.output
        async with sessions() as session:
            unsent = (
                await session.execute(
                    text("SELECT topic, count(*) FROM outbox WHERE sent_at IS NULL GROUP BY topic")
                )
            ).all()
        assert dict(unsent) == {topic: 2}  # the 3-day-old row and the other topic stay sent

        shown = await invoke("outbox", "status", "--database-name", name)
        assert shown.exit_code == 0, shown.output
        cells = next(
            [cell.strip() for cell in row.split("│")]
            for row in shown.output.splitlines()
            if row.rstrip(" │").endswith(topic)
        )
        assert cells[1:3] == ["2", "1"]  # waiting; sent and kept

        unnamed = await invoke("outbox", "status")
        assert unnamed.exit_code == 2
        assert "--database-name" in unnamed.output

        missing = await invoke("outbox", "status", "--database-name", f"{name}_missing")
        assert missing.exit_code == 1
        assert "does not exist" in missing.output
        assert "Traceback" not in missing.output
    finally:
        await engine.dispose()
