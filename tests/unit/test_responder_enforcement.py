"""Which enforcement recordings a responder accepts, and the subject ids it reads."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.responder.domain.enforcement import (
    EnforcementCommand,
    EnforcementRejected,
    accepted_target,
)
from services.responder.domain.held import HeldDesignation, held_version
from services.responder.domain.subjects import parse_subject_id
from shared.catalogue import Catalogue
from shared.events.designations import DesignationState
from shared.identifiers import IdentifierError, make_credit_code
from tests.support.events import designation_state, person_id, seed_document

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.from_document(seed_document())


def _held(catalogue: Catalogue, status: str = "active") -> HeldDesignation:
    state = DesignationState.model_validate(
        designation_state(
            period_start=NOW.date() - timedelta(days=30),
            period_end=NOW.date() + timedelta(days=30),
            status=status,
        )
    )
    return held_version(
        state,
        catalogue.measures_for("market", state.memorandum_code, state.subject),
        None,
        event_id=uuid.uuid4(),
        event_time=NOW - timedelta(days=1),
        recorded_at=NOW - timedelta(days=1),
    )


def _command(held: HeldDesignation, **changes: object) -> EnforcementCommand:
    command = EnforcementCommand(
        business_system="licensing",
        case_id="C-1",
        measure_code="strict_licensing_review",
        subject_id=held.subject_id,
        designation_id=held.id,
        outcome="applied",
        reason=None,
        scenario="licensing",
        result="不予许可",
        amount=None,
        occurred_at=NOW - timedelta(hours=1),
        district=None,
    )
    return replace(command, **changes)  # type: ignore[arg-type]


def _rejected(
    catalogue: Catalogue, held: HeldDesignation | None, command: EnforcementCommand
) -> EnforcementRejected:
    with pytest.raises(EnforcementRejected) as caught:
        accepted_target(command, "market", catalogue, held, NOW)
    return caught.value


def test_a_measure_in_force_is_accepted(catalogue: Catalogue) -> None:
    held = _held(catalogue)
    target = accepted_target(_command(held), "market", catalogue, held, NOW)
    assert target.role == "subject"


@pytest.mark.parametrize(
    ("changes", "location", "status"),
    [
        ({"measure_code": "restrict_flights"}, "body.measure_code", 422),
        ({"outcome": "not_applied", "reason": "x"}, "body.outcome", 422),
        ({"scenario": "fiscal_funds"}, "body.scenario", 422),
        ({"subject_id": make_credit_code("999")}, "body.subject_id", 422),
        ({"occurred_at": NOW + timedelta(hours=1)}, "body.occurred_at", 422),
        ({"occurred_at": NOW - timedelta(days=60)}, "body.occurred_at", 409),
    ],
)
def test_what_is_refused_and_where(
    catalogue: Catalogue, changes: dict[str, object], location: str, status: int
) -> None:
    held = _held(catalogue)
    rejected = _rejected(catalogue, held, _command(held, **changes))
    assert (rejected.location, rejected.status) == (location, status)


def test_a_discretionary_measure_can_be_declined_with_a_reason(catalogue: Catalogue) -> None:
    held = _held(catalogue)
    declined = _command(
        held, measure_code="association_warning", scenario=None, outcome="not_applied"
    )
    assert _rejected(catalogue, held, declined).location == "body.reason"
    accepted_target(replace(declined, reason="已整改"), "market", catalogue, held, NOW)


def test_an_unknown_designation_or_a_lifted_measure_is_refused(catalogue: Catalogue) -> None:
    held = _held(catalogue)
    assert _rejected(catalogue, None, _command(held)).location == "body.designation_id"
    lifted = _held(catalogue, "revoked")
    assert _rejected(catalogue, lifted, _command(lifted)).status == 409


def test_the_key_and_fingerprint(catalogue: Catalogue) -> None:
    held = _held(catalogue)
    command = _command(held)
    assert command.enforcement_id("market") == _command(held, result="x").enforcement_id("market")
    assert command.fingerprint() != _command(held, result="x").fingerprint()
    shifted = command.occurred_at.astimezone(datetime.now().astimezone().tzinfo)
    assert _command(held, occurred_at=shifted).fingerprint() == command.fingerprint()


def test_subject_ids_of_either_kind_are_read_and_normalised() -> None:
    organisation = make_credit_code("4242")
    assert parse_subject_id(organisation.lower()) == (organisation, "organisation")
    person = person_id(9)
    assert parse_subject_id(f" {person} ") == (person, "person")
    with pytest.raises(IdentifierError, match="check digit"):
        parse_subject_id(organisation[:-1] + ("0" if organisation[-1] != "0" else "1"))
    with pytest.raises(IdentifierError):
        parse_subject_id("x" * 100)
