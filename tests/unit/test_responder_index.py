"""The in-memory check index: packed records, time and scenario filters, replacement."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from services.responder.domain.check_index import CheckIndex, MeasureSetKey, records_for
from services.responder.domain.held import held_version
from shared.catalogue import Catalogue
from shared.events.designations import DesignationState
from tests.support.events import designation_state, person_id, seed_document

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.from_document(seed_document())


def _state(**overrides: object) -> DesignationState:
    return DesignationState.model_validate(designation_state(**overrides))  # type: ignore[arg-type]


def _index(
    catalogue: Catalogue, *states: DesignationState, department: str = "court"
) -> CheckIndex:
    index = CheckIndex()
    index.bind(catalogue)
    for state in states:
        held = held_version(
            state,
            catalogue.measures_for(
                department, state.memorandum_code, state.subject, state.responsible_persons
            ),
            None,
            event_id=uuid.uuid4(),
            event_time=state.decided_at,
            recorded_at=state.decided_at,
        )
        index.replace(held.id, (), records_for(index, held))
    return index


def test_a_subject_and_its_legal_representative_are_found(catalogue: Catalogue) -> None:
    legal_rep = person_id(1)
    state = _state(
        responsible_persons=[{"role": "legal_representative", "id": legal_rep, "name": "李"}],
        period_start=TODAY,
        period_end=TODAY + timedelta(days=1),
    )
    index = _index(catalogue, state)
    today = TODAY.toordinal()
    organisation = index.in_force(state.subject.id, today)
    assert {m["role"] for m in organisation} == {"subject"}
    assert {m["designation_id"] for m in organisation} == {str(state.id)}
    assert "restrict_flights" in {m["measure_code"] for m in organisation}
    person = index.in_force(legal_rep, today)
    assert person
    assert {(m["role"], m["organisation_id"]) for m in person} == {
        ("legal_representative", state.subject.id)
    }
    assert index.in_force(person_id(2), today) == []


def test_time_is_authoritative(catalogue: Catalogue) -> None:
    state = _state(period_start=TODAY, period_end=TODAY + timedelta(days=10))
    index = _index(catalogue, state)
    assert index.in_force(state.subject.id, TODAY.toordinal() - 1) == []
    assert index.in_force(state.subject.id, TODAY.toordinal() + 10)
    assert index.in_force(state.subject.id, TODAY.toordinal() + 11) == []


def test_an_open_ended_period_and_the_scenario_filter(catalogue: Catalogue) -> None:
    state = _state(period_start=TODAY)
    document = designation_state(period_start=TODAY) | {"period_end": None}
    state = DesignationState.model_validate(document)
    index = _index(catalogue, state, department="finance")
    found = index.in_force(state.subject.id, TODAY.toordinal() + 10_000, "fiscal_funds")
    assert [m["measure_code"] for m in found] == ["restrict_fiscal_fund_projects"]
    assert found[0]["period_end"] is None
    assert index.in_force(state.subject.id, TODAY.toordinal(), "travel_consumption") == []


def test_replacing_a_designation_keeps_the_others(catalogue: Catalogue) -> None:
    shared_subject = _state(period_start=TODAY).subject.id
    first = _state(subject_id=shared_subject, period_start=TODAY)
    second = _state(subject_id=shared_subject, period_start=TODAY)
    index = _index(catalogue, first, second)
    found = {m["designation_id"] for m in index.in_force(shared_subject, TODAY.toordinal())}
    assert found == {str(first.id), str(second.id)}
    index.replace(first.id, [shared_subject], [])
    found = {m["designation_id"] for m in index.in_force(shared_subject, TODAY.toordinal())}
    assert found == {str(second.id)}
    index.replace(second.id, [shared_subject], [])
    assert len(index) == 0


def test_a_new_catalogue_rebinds_the_measure_texts(catalogue: Catalogue) -> None:
    state = _state(period_start=TODAY)
    index = _index(catalogue, state)
    document = seed_document()
    document["measures"] = [
        m | {"title": "新标题"} if m["code"] == "restrict_flights" else m
        for m in document["measures"]
        if m["code"] != "restrict_exit"
    ]
    index.bind(Catalogue.from_document(document, 2))
    titles = {
        m["measure_code"]: m["measure_title"]
        for m in index.in_force(state.subject.id, TODAY.toordinal())
    }
    assert titles["restrict_flights"] == "新标题"
    assert "restrict_exit" not in titles


def test_snapshot_decodes_every_record(catalogue: Catalogue) -> None:
    legal_rep = person_id(3)
    state = _state(
        responsible_persons=[{"role": "legal_representative", "id": legal_rep, "name": "李"}],
        period_start=TODAY,
    )
    snapshot = _index(catalogue, state).snapshot()
    assert set(snapshot) == {state.subject.id, legal_rep}
    (record,) = snapshot[legal_rep]
    assert record.designation_id == state.id
    assert record.organisation_id == state.subject.id
    assert isinstance(record.measures, MeasureSetKey)
    assert record.measures.role == "legal_representative"


def test_a_person_reached_through_two_organisations_keeps_the_other(catalogue: Catalogue) -> None:
    legal_rep = person_id(4)
    persons = [{"role": "legal_representative", "id": legal_rep, "name": "李"}]
    first = _state(responsible_persons=persons, period_start=TODAY)
    second = _state(responsible_persons=persons, period_start=TODAY)
    index = _index(catalogue, first, second)
    both = {m["organisation_id"] for m in index.in_force(legal_rep, TODAY.toordinal())}
    assert both == {first.subject.id, second.subject.id}
    index.replace(first.id, [first.subject.id, legal_rep], [])
    left = index.in_force(legal_rep, TODAY.toordinal())
    assert {(m["designation_id"], m["organisation_id"]) for m in left} == {
        (str(second.id), second.subject.id)
    }
    assert index.in_force(first.subject.id, TODAY.toordinal()) == []
