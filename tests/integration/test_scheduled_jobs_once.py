"""Scheduled work runs once across replicas, and each replica learns what another one read.

Each job's round takes an advisory lock (shared/persistence/job_rounds.py): while one replica
holds it another skips the round; two rounds started together, on two replicas of one
database, have the effect of one; a round after another finds nothing left. The catalogue a
consumer group brings reaches one replica; every other one reads it from the database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.initiator.bootstrap import bootstrap as bootstrap_initiator
from services.initiator.handlers.catalogue import REGISTRY_FOLLOWING_JOB, registry_round
from services.initiator.handlers.expiry import EXPIRY_JOB, expiry_round
from services.registry.bootstrap import wire
from services.registry.handlers.key_retirement import KEY_RETIREMENT_JOB, retirement_round
from shared.audit.entries import SCHEDULER
from shared.events.catalogue import CATALOGUE_VERSION_PUBLISHED, CatalogueVersionPublished
from shared.events.envelope import new_event
from shared.kafka import make_producer
from shared.persistence.database import drop_database
from shared.persistence.job_rounds import leading_round
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import seed_document
from tests.support.feedback import department_change
from tests.support.initiator import InitiatorHarness, fresh_initiator_database
from tests.support.kafka import wait_for
from tests.support.registry import running_registry, serving

pytestmark = pytest.mark.integration

DESIGNATIONS = 30


async def test_an_expiry_round_runs_on_one_replica_and_expires_each_designation_once(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with InitiatorHarness(
        database_url, bootstrap, authority, schedule=False, expiry_batch_size=7, run_relay=False
    ) as initiator:
        for _ in range(DESIGNATIONS):
            await initiator.designate()
        ended = datetime.now(UTC).date() - timedelta(days=3)
        await initiator.execute("UPDATE designations SET period_end = :ended", ended=ended)
        second = bootstrap_initiator(initiator.settings)  # another replica, same database
        first_context, second_context = initiator.initiator.context, second.context
        try:
            async with leading_round(second.runtime.engine, EXPIRY_JOB) as led:
                assert led
                assert await expiry_round(first_context) is None
                assert (
                    await initiator.scalar(
                        "SELECT count(*) FROM designations WHERE status = 'expired'"
                    )
                    == 0
                )
            rounds = await asyncio.gather(expiry_round(first_context), expiry_round(second_context))
            again = await asyncio.gather(expiry_round(first_context), expiry_round(second_context))
        finally:
            await second.runtime.engine.dispose()
        assert sum(count or 0 for count in rounds) == DESIGNATIONS
        assert not any(again)
        assert (
            await initiator.scalar(
                "SELECT count(*) FROM designation_history WHERE action = 'expire'"
            )
            == DESIGNATIONS
        )
        assert (
            await initiator.scalar(
                "SELECT count(*) FROM outbox WHERE headers::text LIKE '%designation.expired.v1%'"
            )
            == DESIGNATIONS
        )


async def test_one_replica_reads_the_registry_per_round_and_the_catalogue_is_stored_once(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with running_registry(database_url, bootstrap) as registry:
        await registry.seed()
        async with (
            serving(registry.app) as registry_url,
            InitiatorHarness(
                database_url,
                bootstrap,
                authority,
                catalogue=False,
                schedule=False,
                run_relay=False,
                registry_url=registry_url,
            ) as initiator,
        ):
            second = bootstrap_initiator(initiator.settings)
            first_context, second_context = initiator.initiator.context, second.context
            try:
                async with leading_round(second.runtime.engine, REGISTRY_FOLLOWING_JOB) as led:
                    assert led
                    assert await registry_round(first_context) is None  # it did not ask
                assert await initiator.scalar("SELECT count(*) FROM catalogue_versions") == 0
                rounds = await asyncio.gather(
                    registry_round(first_context), registry_round(second_context)
                )
                assert 1 in rounds  # a replica that skipped it saw what was committed then
                assert await registry_round(second_context) == 1
            finally:
                await second.runtime.engine.dispose()
            assert await initiator.scalar("SELECT count(*) FROM catalogue_versions") == 1


async def test_a_key_retirement_round_runs_on_one_replica_and_every_replica_forgets_the_key(
    database_url: str, bootstrap: str
) -> None:
    async with running_registry(database_url, bootstrap) as registry:
        first = registry.registry
        second = wire(registry.settings)  # another replica, same database
        try:
            async with first.runtime.unit_of_work() as uow:
                old = await first.keys.signing(uow)
            async with second.runtime.unit_of_work() as uow:
                assert (await second.keys.signing(uow)).kid == old.kid  # decrypted, held
            async with first.runtime.unit_of_work() as uow:
                rotation = await first.keys.rotate(
                    uow, by=SCHEDULER, token_lifetime_s=1, margin_s=0
                )
            later = datetime.now(UTC) + timedelta(seconds=5)
            async with leading_round(second.runtime.engine, KEY_RETIREMENT_JOB) as led:
                assert led
                assert await retirement_round(first.runtime, first.keys, later) is None
            rounds = await asyncio.gather(
                retirement_round(first.runtime, first.keys, later),
                retirement_round(second.runtime, second.keys, later),
            )
            assert sorted(kid for kids in rounds for kid in kids or []) == [old.kid]
            assert await retirement_round(first.runtime, first.keys, later) == []
            async with first.runtime.unit_of_work() as uow:
                retired = (
                    await uow.session.execute(
                        text("SELECT kid FROM signing_keys WHERE private_pem IS NULL")
                    )
                ).scalars()
                assert list(retired) == [old.kid]
            async with second.runtime.unit_of_work() as uow:
                assert (await second.keys.signing(uow)).kid == rotation.kid
            assert old.kid not in second.keys._loaded  # its private half is gone here too
        finally:
            await second.runtime.engine.dispose()


async def test_every_initiator_replica_learns_the_catalogue_version_one_of_them_consumed(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    database = await fresh_initiator_database(database_url)
    shared: dict[str, Any] = {
        "database": database,
        "topic_prefix": f"tcat{database[-8:]}.",
        "consume": True,
        "schedule": False,
        "consumer_group": f"initiator-{database[-8:]}",
    }
    try:
        await _both_learn_version_2(database_url, bootstrap, authority, shared)
    finally:
        await drop_database(database_url, database)


async def _both_learn_version_2(
    database_url: str, bootstrap: str, authority: TestAuthority, shared: dict[str, Any]
) -> None:
    async with (
        InitiatorHarness(database_url, bootstrap, authority, **shared) as first,
        InitiatorHarness(database_url, bootstrap, authority, catalogue=False, **shared) as second,
    ):
        replicas = [first, second]
        for replica in replicas:  # each holds version 1 in memory
            assert await _catalogue_version(replica) == 1
        document = seed_document()
        change = department_change(document, "court", region="衡水市")
        event = new_event(
            CATALOGUE_VERSION_PUBLISHED,
            "registry",
            CatalogueVersionPublished(version=2, changes=(change,)).model_dump(mode="json"),
        )
        producer = make_producer(first.settings)
        await producer.start()
        try:
            await producer.send_and_wait(
                first.settings.topic(Topic.CATALOGUE),
                event.to_bytes(),
                key=b"catalogue",
                headers=event.kafka_headers(),
            )
        finally:
            await producer.stop()

        async def both_learned() -> bool:
            return [await _catalogue_version(r) for r in replicas] == [2, 2]

        await wait_for(both_learned, 60)
        for replica in replicas:
            async with replica.initiator.context.unit_of_work() as uow:
                catalogue = await replica.initiator.context.catalogue.current(uow.session)
            assert catalogue is not None
            assert catalogue.departments["court"].region == "衡水市"


async def _catalogue_version(replica: InitiatorHarness) -> int | None:
    context = replica.initiator.context
    async with context.unit_of_work() as uow:
        catalogue = await context.catalogue.current(uow.session)
    return None if catalogue is None else catalogue.version
