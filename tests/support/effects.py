"""A test consumer's effect: one row per applied event, so applying twice is visible."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.delivery.consumer import MessageContext, PermanentError
from shared.events.envelope import Envelope

CREATE = """
CREATE TABLE IF NOT EXISTS effects (
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    event_id uuid NOT NULL,
    key text NOT NULL,
    seq int NOT NULL
)
"""


async def create_effects_table(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(CREATE))


async def record_effect(envelope: Envelope, context: MessageContext) -> None:
    """Insert the effect; `fail` in the data raises (`permanent` skips the retries)."""
    if envelope.data.get("fail") == "permanent":
        raise PermanentError("this event cannot be processed")
    if envelope.data.get("fail") == "always":
        raise RuntimeError("the handler fails every time")
    await context.session.execute(
        text("INSERT INTO effects (event_id, key, seq) VALUES (:id, :key, :seq)"),
        {"id": envelope.id, "key": envelope.data["key"], "seq": envelope.data["seq"]},
    )


async def count_effects(engine: AsyncEngine) -> tuple[int, int]:
    """(rows, distinct event ids)."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(text("SELECT count(*), count(DISTINCT event_id) FROM effects"))
        ).one()
    return int(row[0]), int(row[1])
