"""Events as the other services would send them, produced onto the real broker.

For testing one service alone: a responder or feedback test publishes the seed catalogue and
designation events exactly as the registry and the initiator do (same envelope, topic and key).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.events.catalogue import (
    CATALOGUE_VERSION_PUBLISHED,
    WHOLE_CATALOGUE_KEY,
    whole_catalogue_version,
)
from shared.events.designations import DesignationEventType
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope, new_event
from shared.events.receipts import RECEIPT_BUNDLE
from shared.identifiers import make_credit_code, make_resident_id
from shared.kafka import make_producer
from shared.settings import ServiceSettings
from shared.topics import Topic

SEED_CATALOGUE = Path(__file__).resolve().parents[2] / "services/registry/seed_data/catalogue.json"


def seed_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SEED_CATALOGUE.read_text(encoding="utf-8"))
    return document


def seed_catalogue_event() -> Envelope:
    data = whole_catalogue_version(seed_document()).model_dump(mode="json")
    return new_event(CATALOGUE_VERSION_PUBLISHED, "registry", data)


def person_id(number: int) -> str:
    """A distinct valid 居民身份证号码 for each number below 20,000,000."""
    birth = date(1950, 1, 1) + timedelta(days=number % 20_000)
    return make_resident_id(birth=birth, sequence=(number // 20_000) % 1000)


def designation_state(
    *,
    memorandum_code: str = "dishonest_judgment_debtors",
    list_type: str = "black",
    subject_kind: str = "organisation",
    subject_id: str | None = None,
    responsible_persons: Iterable[dict[str, str]] = (),
    status: str = "active",
    version: int = 1,
    designation_id: uuid.UUID | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    initiating_department: str = "court",
    serial: int | None = None,
) -> dict[str, Any]:
    """A DesignationState payload (docs/asyncapi.yaml) with valid identifiers."""
    number = serial if serial is not None else uuid.uuid4().int % 10**8
    if subject_id is None:
        subject_id = (
            make_credit_code(str(number)) if subject_kind == "organisation" else person_id(number)
        )
    today = datetime.now(UTC).date()
    return {
        "id": str(designation_id or uuid.uuid4()),
        "version": version,
        "status": status,
        "list_type": list_type,
        "memorandum_code": memorandum_code,
        "subject": {"kind": subject_kind, "id": subject_id, "name": f"测试主体{number}"},
        "responsible_persons": list(responsible_persons),
        "reason": "拒不履行生效法律文书确定的义务",
        "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
        "document_number": f"(2026)闽01执{number}号",
        "decided_at": datetime.now(UTC).isoformat(),
        "period_start": (period_start or today).isoformat(),
        "period_end": (period_end or date(today.year + 3, 1, 1)).isoformat(),
        "initiating_department": initiating_department,
    }


def designation_event(state: dict[str, Any], event_type: DesignationEventType) -> Envelope:
    return new_event(event_type.value, "initiator", state, subject=state["id"])


async def publish(settings: ServiceSettings, topic: Topic, events: Iterable[Envelope]) -> None:
    """Produce as the relay does: key by subject (designations) or the catalogue key."""
    producer = make_producer(settings)
    await producer.start()
    try:
        for event in events:
            if topic is Topic.DESIGNATIONS:
                key = str(event.data["subject"]["id"])
            elif topic is Topic.CATALOGUE:
                key = WHOLE_CATALOGUE_KEY
            else:
                key = str(event.subject or event.id)
            await producer.send_and_wait(
                settings.topic(topic),
                event.to_bytes(),
                key=key.encode(),
                headers=event.kafka_headers(),
            )
    finally:
        await producer.stop()


def unbundled(envelope: dict[str, Any]) -> list[dict[str, Any]]:
    """A receipts-topic event as the receipts it carries, each shaped as if sent alone (its
    receipt id as the envelope id): a `receipt.bundle.v1` event gives one per bundled receipt."""
    if envelope["type"] != EVENT_TYPE_PREFIX + RECEIPT_BUNDLE:
        return [envelope]
    return [
        envelope
        | {
            "id": one["data"]["receipt_id"],
            "type": EVENT_TYPE_PREFIX + one["type"],
            "data": one["data"],
        }
        for one in envelope["data"]["receipts"]
    ]
