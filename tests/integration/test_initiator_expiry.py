"""The expiry scheduler works from the database: across a restart, and with two instances."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.initiator.bootstrap import bootstrap as bootstrap_initiator
from services.initiator.handlers.expiry import expire_due
from shared.auth.principal import Role
from shared.persistence.database import drop_database
from tests.support.auth import TestAuthority
from tests.support.initiator import InitiatorHarness, fresh_initiator_database
from tests.support.kafka import wait_for

pytestmark = pytest.mark.integration

YESTERDAY_IN_SHANGHAI = "(now() AT TIME ZONE 'Asia/Shanghai')::date - 1"


async def test_a_designation_expires_after_a_restart(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    database = await fresh_initiator_database(database_url)
    prefix = f"texp{database[-8:]}."
    try:
        async with InitiatorHarness(
            database_url, bootstrap, authority, database=database, topic_prefix=prefix
        ) as first:
            designation = await first.designate()
            objected = await first.designate()
            response = await first.client.post(
                f"/v1/designations/{objected['id']}/objections",
                json={"grounds": "信息有误"},
                headers=first.headers("market", Role.responder),
            )
            objection = response.json()["id"]
            await first.stop()
            # While nothing runs, both periods end.
            await first.execute(f"UPDATE designations SET period_end = {YESTERDAY_IN_SHANGHAI}")
            assert (
                await first.scalar(
                    "SELECT status FROM designations WHERE id = :id", id=designation["id"]
                )
                == "active"
            )

        async with InitiatorHarness(
            database_url,
            bootstrap,
            authority,
            database=database,
            topic_prefix=prefix,
            catalogue=False,
        ) as second:

            async def status(designation_id: str) -> str:
                found = await second.scalar(
                    "SELECT status FROM designations WHERE id = :id", id=designation_id
                )
                return str(found)

            async def expired() -> bool:
                return await status(designation["id"]) == "expired"

            await wait_for(expired, timeout_s=20)
            assert await status(objected["id"]) == "suspended"
            history = (
                await second.client.get(
                    f"/v1/designations/{designation['id']}/history", headers=second.headers()
                )
            ).json()
            assert [(h["action"], h["actor_kind"]) for h in history] == [
                ("initiate", "department"),
                ("expire", "scheduler"),
            ]
            assert await second.event_types_of(designation["id"], 2) == [
                "designation.initiated.v1",
                "designation.expired.v1",
            ]
            # Once the objection is rejected the designation is active again, past its end: it expires.
            await second.client.post(
                f"/v1/objections/{objection}/decision",
                json={"outcome": "rejected"},
                headers=second.headers(),
            )

            async def objected_expired() -> bool:
                return await status(objected["id"]) == "expired"

            await wait_for(objected_expired, timeout_s=20)
            assert await second.event_types_of(objected["id"], 4) == [
                "designation.initiated.v1",
                "designation.suspended.v1",
                "designation.resumed.v1",
                "designation.expired.v1",
            ]
            exits = (await second.client.get("/v1/public/exits")).json()["items"]
            assert {e["id"] for e in exits} == {designation["id"], objected["id"]}
    finally:
        await drop_database(database_url, database)


async def test_two_schedulers_expire_each_designation_once(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with InitiatorHarness(
        database_url, bootstrap, authority, schedule=False, expiry_batch_size=7, run_relay=False
    ) as initiator:
        for _ in range(40):
            await initiator.designate()
        ended = datetime.now(UTC).date() - timedelta(days=3)
        await initiator.execute("UPDATE designations SET period_end = :ended", ended=ended)
        second = bootstrap_initiator(initiator.settings)  # another instance, same database
        try:
            counts = await asyncio.gather(
                expire_due(initiator.initiator.context),
                expire_due(second.context),
                expire_due(second.context),
            )
        finally:
            await second.runtime.engine.dispose()
        expired_by_worker = await initiator.scalar(
            "SELECT count(*) FROM designation_history WHERE action = 'expire'"
        )
        assert expired_by_worker == sum(counts) == 40
        assert sum(1 for count in counts if count) >= 2  # they did run side by side
        assert (
            await initiator.scalar(
                "SELECT count(*) FROM outbox WHERE headers::text LIKE '%designation.expired.v1%'"
            )
            == 40
        )
        assert await initiator.scalar("SELECT max(version) FROM designations") == 2
