"""The key-retirement job: every minute, erase the private half of keys past their retirement.

Of several registry replicas one runs each round (shared/persistence/job_rounds.py), and a
round after another one finds nothing due: retirement reads the keys under their lock and
retires only keys not retired yet.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from services.registry.handlers.keys import SigningKeys
from shared.persistence.job_rounds import leading_round
from shared.runtime import Runtime
from shared.stopping import sleep_unless_stopped

KEY_RETIREMENT_JOB = "registry.key-retirement"
KEY_RETIREMENT_INTERVAL_S = 60.0


async def retirement_round(
    runtime: Runtime, keys: SigningKeys, now: datetime | None = None
) -> list[str] | None:
    """The key ids retired; None when another replica is running the round."""
    async with leading_round(runtime.engine, KEY_RETIREMENT_JOB) as led:
        if not led:
            return None
        async with runtime.unit_of_work() as uow:
            return await keys.retire_expired(uow, now)


async def retire_keys(runtime: Runtime, keys: SigningKeys, stop: asyncio.Event) -> None:
    """The worker: a round every `KEY_RETIREMENT_INTERVAL_S`."""
    while not stop.is_set():
        await retirement_round(runtime, keys)
        await sleep_unless_stopped(stop, KEY_RETIREMENT_INTERVAL_S)
