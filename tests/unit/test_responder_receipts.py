"""What a responder holds after each version, and the receipts it sends about it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from itertools import permutations
from typing import Any

import pytest

from services.feedback.handlers.receipts import parse_receipts
from services.responder.adapters import receipt_outbox
from services.responder.domain.held import HeldDesignation, TargetState, held_version
from services.responder.domain.receipts import lifted_beyond, receipts_for
from services.responder.settings import ResponderSettings
from shared.catalogue import Catalogue
from shared.events.designations import DesignationState
from shared.events.envelope import EVENT_TYPE_PREFIX, Envelope
from shared.events.receipts import RECEIPT_BUNDLE, ReceiptEventType
from tests.support.events import designation_state, person_id, seed_document

pytestmark = pytest.mark.unit

LEGAL_REP = {"role": "legal_representative", "id": person_id(7), "name": "李"}
MOMENT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.from_document(seed_document())


@pytest.fixture
def base() -> dict[str, Any]:
    return designation_state(responsible_persons=[LEGAL_REP])


def _apply(
    catalogue: Catalogue, previous: HeldDesignation | None, document: dict[str, Any]
) -> HeldDesignation:
    state = DesignationState.model_validate(document)
    outcomes = catalogue.measures_for(
        "court", state.memorandum_code, state.subject, state.responsible_persons
    )
    return held_version(
        state,
        outcomes,
        previous,
        event_id=uuid.uuid5(state.id, str(state.version)),
        event_time=MOMENT,
        recorded_at=MOMENT,
    )


def _settings() -> ResponderSettings:
    return ResponderSettings(
        department_code="court",
        database_url="postgresql+asyncpg://unused/unused",
        kafka_bootstrap_servers="unused:9092",
    )


def _kinds(department: str, held: HeldDesignation) -> list[ReceiptEventType]:
    return [receipt.type for receipt in receipts_for(department, held)]


def test_an_active_version_is_applied_to_every_target(
    catalogue: Catalogue, base: dict[str, Any]
) -> None:
    held = _apply(catalogue, None, base)
    assert {t.role for t in held.targets} == {"subject", "legal_representative"}
    assert all(t.state is TargetState.in_force and t.notified for t in held.targets)
    kinds = _kinds("court", held)
    assert kinds[0] is ReceiptEventType.received
    assert kinds.count(ReceiptEventType.measure_applied) == sum(
        len(t.measure_codes) for t in held.targets
    )
    received = receipts_for("court", held)[0]
    assert received.data.answers == held.event_id


def test_suspension_lifts_with_its_cause_and_revocation_lifts_again(
    catalogue: Catalogue, base: dict[str, Any]
) -> None:
    active = _apply(catalogue, None, base)
    suspended = _apply(catalogue, active, base | {"version": 2, "status": "suspended"})
    assert {(t.state, t.cause) for t in suspended.targets} == {(TargetState.suspended, "suspended")}
    lifted = [
        r for r in receipts_for("court", suspended) if r.type is ReceiptEventType.measure_lifted
    ]
    assert len(lifted) == sum(len(t.measure_codes) for t in active.targets)
    assert {r.data.cause for r in lifted} == {"suspended"}  # type: ignore[attr-defined]
    revoked = _apply(catalogue, suspended, base | {"version": 3, "status": "revoked"})
    causes = {
        r.data.cause  # type: ignore[attr-defined]
        for r in receipts_for("court", revoked)
        if r.type is ReceiptEventType.measure_lifted
    }
    assert causes == {"revoked"}


def test_a_designation_first_seen_ended_sends_only_its_receipt(
    catalogue: Catalogue, base: dict[str, Any]
) -> None:
    held = _apply(catalogue, None, base | {"version": 3, "status": "repaired"})
    assert _kinds("court", held) == [ReceiptEventType.received]
    assert {t.state for t in held.targets} == {TargetState.lifted}


def test_receipt_ids_are_stable_and_distinct(catalogue: Catalogue, base: dict[str, Any]) -> None:
    held = _apply(catalogue, None, base)
    first = receipts_for("court", held)
    assert receipts_for("court", held) == first
    ids = [r.id for r in first]
    assert len(set(ids)) == len(ids)
    other_department = {r.id for r in receipts_for("market", held)}
    assert other_department.isdisjoint(ids)
    next_version = _apply(catalogue, held, base | {"version": 2})
    assert {r.id for r in receipts_for("court", next_version)}.isdisjoint(ids)


def test_a_person_no_longer_reached_is_lifted_as_corrected(
    catalogue: Catalogue, base: dict[str, Any]
) -> None:
    held = _apply(catalogue, None, base)
    without = _apply(catalogue, held, base | {"version": 2, "responsible_persons": []})
    beyond = lifted_beyond("court", held, without)
    assert beyond
    assert {r.data.cause for r in beyond} == {"corrected"}  # type: ignore[attr-defined]
    assert {r.data.target.role for r in beyond} == {"legal_representative"}  # type: ignore[attr-defined]


def test_any_order_of_versions_converges(catalogue: Catalogue, base: dict[str, Any]) -> None:
    versions = [
        base,
        base | {"version": 2, "status": "suspended"},
        base | {"version": 3, "status": "active"},
        base | {"version": 4, "status": "expired"},
    ]
    finals = set()
    for order in permutations(versions):
        held: HeldDesignation | None = None
        for document in order:
            if held is None or document["version"] > held.version:
                held = _apply(catalogue, held, document)
        assert held is not None
        finals.add(
            (
                held.version,
                held.status,
                tuple(
                    (t.role, t.id, t.measure_codes, t.state, t.cause, t.set_by_version)
                    for t in held.targets
                ),
            )
        )
    assert len(finals) == 1


def test_a_designations_receipts_travel_in_one_bundle_that_feedback_unpacks_as_sent(
    catalogue: Catalogue, base: dict[str, Any]
) -> None:
    settings = _settings()
    held = _apply(catalogue, None, base)
    receipts = receipts_for("court", held)
    assert len(receipts) > 2
    [event] = receipt_outbox.outgoing(settings, receipts)
    assert event.key == str(held.id)
    assert event.envelope.type == EVENT_TYPE_PREFIX + RECEIPT_BUNDLE
    unpacked = parse_receipts(Envelope.parse(event.envelope.to_bytes()))
    assert [new.receipt for new in unpacked] == [receipt.data for receipt in receipts]
    assert {new.event_id for new in unpacked} == {event.envelope.id}
    # the same receipts, in any order, are the same bundle: a consumer's inbox knows it again
    [again] = receipt_outbox.outgoing(settings, list(reversed(receipts)))
    assert again.envelope.id == event.envelope.id
    [fewer] = receipt_outbox.outgoing(settings, receipts[:-1])
    assert fewer.envelope.id != event.envelope.id


def test_a_lone_receipt_travels_as_its_own_event_under_its_receipt_id(
    catalogue: Catalogue, base: dict[str, Any]
) -> None:
    settings = _settings()
    held = _apply(catalogue, None, base)
    other = _apply(catalogue, None, base | {"id": str(uuid.uuid4())})
    received = receipts_for("court", held)[0]
    events = receipt_outbox.outgoing(settings, [received, *receipts_for("court", other)])
    assert [e.key for e in events] == [str(held.id), str(other.id)]
    assert events[0].envelope.id == received.id
    assert events[0].envelope.type == EVENT_TYPE_PREFIX + ReceiptEventType.received.value
    assert events[1].envelope.type == EVENT_TYPE_PREFIX + RECEIPT_BUNDLE


def test_every_payload_is_exactly_its_contract_model(
    catalogue: Catalogue, base: dict[str, Any]
) -> None:
    """Payloads are built as JSON directly: each carries every field of its contract model and
    no other, and validating it gives back the values held."""
    held = _apply(catalogue, None, base)
    suspended = _apply(catalogue, held, base | {"version": 2, "status": "suspended"})
    without = _apply(catalogue, held, base | {"version": 2, "responsible_persons": []})
    receipts = (
        receipts_for("court", held)
        + receipts_for("court", suspended)
        + lifted_beyond("court", held, without)
    )
    assert {r.type for r in receipts} == {
        ReceiptEventType.received,
        ReceiptEventType.measure_applied,
        ReceiptEventType.measure_lifted,
    }
    for receipt in receipts:
        model = receipt.data
        assert set(receipt.payload) == set(type(model).model_fields), receipt.type
        assert model.receipt_id == receipt.id
        assert (model.designation_id, model.department_code) == (held.id, "court")
        assert model.recorded_at == receipt.recorded_at
        assert type(model).model_validate(model.model_dump(mode="json")) == model
    applied = next(r.data for r in receipts if r.type is ReceiptEventType.measure_applied)
    assert applied.applied_from == held.period_start  # type: ignore[attr-defined]
    assert applied.applied_until == held.period_end  # type: ignore[attr-defined]
