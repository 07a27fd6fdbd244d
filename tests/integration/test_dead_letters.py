"""Malformed events and unknown event versions go to the dead-letter topic and the partition
moves on — in each consuming service, for the events not covered by its own tests (feedback's
receipts and the initiator's malformed re-publish request are); and a database that cannot be
reached is waited out instead of dead-lettering what arrives meanwhile.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared.delivery.consumer import ConsumerLoop, MessageContext
from shared.delivery.metrics import MESSAGES
from shared.events.catalogue import WHOLE_CATALOGUE_KEY
from shared.events.designations import DesignationEventType
from shared.events.envelope import Envelope, new_event
from shared.events.republish import REPUBLISH_REQUESTED
from shared.kafka import ensure_topics
from shared.persistence.database import drop_database, make_engine, make_sessionmaker
from shared.settings import ServiceSettings
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.effects import count_effects, create_effects_table, record_effect
from tests.support.events import designation_event, designation_state, publish
from tests.support.feedback import catalogue_events, publish_all, running_feedback
from tests.support.infra import fresh_delivery_database, settings_for
from tests.support.initiator import InitiatorHarness
from tests.support.kafka import read_until, wait_for
from tests.support.responder import ResponderHarness

pytestmark = pytest.mark.integration

GARBAGE = b"\x00\xffnot a CloudEvent{"


async def _produce_raw(settings: ServiceSettings, topic: Topic, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic(topic), value, key=key.encode())
    finally:
        await producer.stop()


async def _dead_letters(settings: ServiceSettings, consumer: str, count: int) -> list[Any]:
    def mine(records: list[Any]) -> list[Any]:
        return [r for r in records if dict(r.headers).get("dlq_consumer") == consumer.encode()]

    records = await read_until(
        settings.kafka_bootstrap_servers,
        settings.topic(Topic.DEAD_LETTERS),
        lambda found: len(mine(found)) >= count,
    )
    return mine(records)


def _unknown_version(event: Envelope) -> Envelope:
    """The same event under a type version this consumer does not read (`.v9`)."""
    return event.model_copy(
        update={"id": uuid.uuid4(), "type": event.type.removesuffix(".v1") + ".v9"}
    )


def _invalid(event: Envelope, **data: Any) -> Envelope:
    return event.model_copy(update={"id": uuid.uuid4(), "data": {**event.data, **data}})


async def test_the_responder_dead_letters_what_it_cannot_read_and_moves_on(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        settings = responder.settings
        state = designation_state()
        good = designation_event(state, DesignationEventType.initiated)
        subject = state["subject"]["id"]
        await _produce_raw(settings, Topic.DESIGNATIONS, subject, GARBAGE)
        bad = [
            _unknown_version(good),
            _invalid(good, version="first"),
            _invalid(good, subject={"kind": "organisation", "id": "", "name": "x"}),
        ]
        await responder.publish(*bad, good)
        await responder.settled(state["id"], 1)
        letters = await _dead_letters(settings, settings.designations_group, 4)
        assert {dict(r.headers).get("ce_id", b"").decode() for r in letters} >= {
            str(e.id) for e in bad
        }
        catalogue = new_event("catalogue.version.published.v9", "registry", {"version": 2})
        await _produce_raw(settings, Topic.CATALOGUE, WHOLE_CATALOGUE_KEY, GARBAGE)
        await publish(settings, Topic.CATALOGUE, [catalogue])
        letters = await _dead_letters(settings, settings.catalogue_group, 2)
        assert str(catalogue.id) in {dict(r.headers).get("ce_id", b"").decode() for r in letters}
        second = designation_state()
        await responder.publish_states(DesignationEventType.initiated, second)
        await responder.settled(second["id"], 1)


async def test_feedback_dead_letters_designation_and_catalogue_events_it_cannot_read(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with running_feedback(database_url, bootstrap, authority) as service:
        settings = service.settings
        await publish_all(settings, Topic.CATALOGUE, catalogue_events())
        await service.wait_catalogue(1)
        state = designation_state()
        good = designation_event(state, DesignationEventType.initiated)
        bad = [_unknown_version(good), _invalid(good, status="vanished")]
        await _produce_raw(settings, Topic.DESIGNATIONS, state["subject"]["id"], GARBAGE)
        await publish_all(settings, Topic.DESIGNATIONS, [*bad, good])
        await _produce_raw(settings, Topic.CATALOGUE, WHOLE_CATALOGUE_KEY, GARBAGE)
        catalogue = new_event("catalogue.version.published.v9", "registry", {"version": 2})
        await publish_all(settings, Topic.CATALOGUE, [catalogue])

        async def known() -> bool:
            found = await service.scalar(
                "SELECT count(*) FROM designations WHERE id = :id", id=uuid.UUID(state["id"])
            )
            return bool(found == 1)

        await wait_for(known, timeout_s=60)
        letters = await _dead_letters(settings, settings.consumer_group, 5)
        ids = {dict(r.headers).get("ce_id", b"").decode() for r in letters}
        assert ids >= {str(e.id) for e in [*bad, catalogue]}


async def test_the_initiator_dead_letters_unknown_versions_and_garbage(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with InitiatorHarness(database_url, bootstrap, authority, consume=True) as initiator:
        settings = initiator.settings
        designation = await initiator.designate()
        request_id = str(uuid.uuid4())
        request = new_event(
            REPUBLISH_REQUESTED,
            "feedback",
            {
                "request_id": request_id,
                "designation_ids": [designation["id"]],
                "reason": "overdue_receipt",
            },
        )
        unknown = _unknown_version(request)
        catalogue = new_event("catalogue.version.published.v9", "registry", {"version": 2})
        await _produce_raw(settings, Topic.REPUBLISH_REQUESTS, designation["id"], GARBAGE)
        await publish(settings, Topic.REPUBLISH_REQUESTS, [unknown, request])
        await publish(settings, Topic.CATALOGUE, [catalogue])

        async def republished() -> bool:
            found = await initiator.scalar(
                "SELECT count(*) FROM republish_requests WHERE id = :id", id=uuid.UUID(request_id)
            )
            return bool(found == 1)

        await wait_for(republished, timeout_s=60)
        letters = await _dead_letters(settings, settings.consumer_group, 3)
        ids = {dict(r.headers).get("ce_id", b"").decode() for r in letters}
        assert ids >= {str(unknown.id), str(catalogue.id)}


async def test_a_database_that_cannot_be_reached_is_waited_out_not_dead_lettered(
    database_url: str, bootstrap: str
) -> None:
    """The handler's database connection is refused three times (as while PostgreSQL
    restarts): the consumer reads the records again until it can apply them."""
    topic = f"test.unreachable.{uuid.uuid4().hex[:8]}"
    group = f"group-{uuid.uuid4().hex[:8]}"
    name = await fresh_delivery_database(database_url)
    settings = settings_for(database_url, bootstrap, name)
    await ensure_topics(bootstrap, 1, [topic, settings.topic(Topic.DEAD_LETTERS)])
    engine = make_engine(settings)
    await create_effects_table(engine)
    refusals = {"left": 3}

    async def flaky(envelope: Envelope, context: MessageContext) -> None:
        if refusals["left"]:
            refusals["left"] -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        await record_effect(envelope, context)

    stop = asyncio.Event()
    loop = ConsumerLoop(group, [topic], flaky, make_sessionmaker(engine), settings)
    task = asyncio.create_task(loop.run(stop))
    try:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for seq in range(5):
                event = new_event("test.sequenced.v1", "tests", {"key": "k", "seq": seq})
                await producer.send_and_wait(topic, event.to_bytes(), key=b"k")
        finally:
            await producer.stop()

        async def applied() -> bool:
            return (await count_effects(engine))[1] >= 5

        await wait_for(applied, timeout_s=60)
        assert await count_effects(engine) == (5, 5)
        assert refusals["left"] == 0
        assert MESSAGES.labels(group, "dead_lettered")._value.get() == 0
    finally:
        stop.set()
        await task
        await engine.dispose()
        await drop_database(database_url, name)
