"""The catalogue domain: the seed as records, validation across records, diffs, event keys and
memorandum drafts."""

from __future__ import annotations

from typing import Any

import pytest

from services.registry.domain.catalogue import CatalogueInvalid, CatalogueState, catalogue_issues
from services.registry.domain.drafts import DraftContent, apply_draft, is_stale
from services.registry.domain.records import DepartmentRecord, MeasureRecord
from services.registry.domain.versions import change_counts, changes_between, event_key
from shared.catalogue import Catalogue
from shared.events.catalogue import CatalogueVersionPublished, whole_catalogue_version
from tests.support.events import seed_document

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def seed() -> CatalogueState:
    return CatalogueState.from_document(seed_document())


def _locations(error: pytest.ExceptionInfo[CatalogueInvalid]) -> set[str]:
    return {issue.location for issue in error.value.issues}


def test_the_seed_loads_unchanged_with_departments_active(seed: CatalogueState) -> None:
    document = seed_document()
    published = seed.as_document()
    assert published["departments"] == [{**d, "active": True} for d in document["departments"]]
    assert published["memoranda"] == document["memoranda"]
    assert published["measures"] == document["measures"]
    assert catalogue_issues(seed) == []


def test_version_one_adds_everything_like_whole_catalogue_version(seed: CatalogueState) -> None:
    changes = changes_between(CatalogueState(), seed)
    assert changes == whole_catalogue_version(seed.as_document()).changes
    assert change_counts(changes) == {"added": 122, "changed": 0, "removed": 0}
    assert event_key(changes) == "catalogue"


def test_every_service_reads_the_published_document(seed: CatalogueState) -> None:
    catalogue = Catalogue.from_document({"version": 1, **seed.as_document()}, 1)
    assert set(catalogue.measures) == set(seed.measures)
    assert catalogue.departments["court"].active


def test_a_change_is_a_diff_and_applies_on_the_previous_version(seed: CatalogueState) -> None:
    measure = seed.measures["restrict_flights"]
    changed = seed.with_measures([measure.model_copy(update={"response_deadline_workdays": 3})])
    changed = changed.without_measures({"restrict_high_grade_trains"})
    changes = changes_between(seed, changed)
    assert [(c.entity, c.action, c.code) for c in changes] == [
        ("measure", "changed", "restrict_flights"),
        ("measure", "removed", "restrict_high_grade_trains"),
    ]
    assert changes[1].value is None
    assert event_key(changes) == "catalogue"
    assert changes_between(seed, seed) == ()

    before = Catalogue.from_document(seed.as_document(), 1)
    after = before.applied(CatalogueVersionPublished(version=2, changes=changes))
    assert (
        after.as_document()["measures"]
        == Catalogue.from_document(changed.as_document(), 2).as_document()["measures"]
    )


def test_event_key_spans(seed: CatalogueState) -> None:
    department = seed.departments["market"].model_copy(update={"active": False})
    assert event_key(changes_between(seed, seed.with_department(department))) == "catalogue"
    two = seed.without_measures({"restrict_flights", "strict_licensing_review"})
    assert event_key(changes_between(seed, two)) == "catalogue"


def test_records_are_validated_field_by_field() -> None:
    document: dict[str, Any] = seed_document()
    document["departments"][0] = {**document["departments"][0], "code": "Bad-Code"}
    document["measures"][0] = {**document["measures"][0], "category": "punitive"}
    document["measures"][1] = {**document["measures"][1], "response_deadline_workdays": 0}
    document["measures"][2] = {**document["measures"][2], "scenarios": ["bidding", "bidding"]}
    with pytest.raises(CatalogueInvalid) as error:
        CatalogueState.from_document(document)
    locations = _locations(error)
    assert "department.Bad-Code.code" in locations
    measures = document["measures"]
    assert f"measure.{measures[0]['code']}.category" in locations
    assert f"measure.{measures[1]['code']}.response_deadline_workdays" in locations
    assert f"measure.{measures[2]['code']}.scenarios" in locations


def test_references_must_resolve_and_fit_the_memorandum(seed: CatalogueState) -> None:
    flights = seed.measures["restrict_flights"]
    broken = seed.with_measures(
        [
            flights.model_copy(
                update={"implementing_departments": ("civil_aviation", "nowhere", "education")}
            ),
            seed.measures["strict_licensing_review"].model_copy(
                update={"memorandum": "no_such_memorandum"}
            ),
        ]
    )
    messages: dict[tuple[str, str], list[str]] = {}
    for issue in catalogue_issues(broken):
        messages.setdefault((issue.code, issue.field), []).append(issue.message)
    assert messages[("restrict_flights", "implementing_departments")] == [
        "unknown department: nowhere",
        "not signatories of memorandum dishonest_judgment_debtors: education",
    ]
    assert messages[("strict_licensing_review", "memorandum")] == [
        "unknown memorandum 'no_such_memorandum'"
    ]
    red = next(m for m in seed.measures.values() if seed.memoranda[m.memorandum].list_type == "red")
    wrong_category = seed.with_measures([red.model_copy(update={"category": "market"})])
    assert [i.field for i in catalogue_issues(wrong_category)] == ["category"]
    renamed = seed.with_department(
        seed.departments["tax"].model_copy(update={"name": seed.departments["fgw"].name})
    )
    assert [(i.code, i.field) for i in catalogue_issues(renamed)] == [("tax", "name")]


def test_text_is_normalised_on_the_way_in() -> None:
    department = DepartmentRecord.model_validate(
        {"code": "audit", "name": " 審計（廳） ", "level": "省", "region": "通用", "kind": "其他"}
    )
    assert department.name == "审计(厅)"


def _draft(seed: CatalogueState, **measure_changes: Any) -> DraftContent:
    bundle = seed.bundle("safety_production")
    assert bundle is not None
    measures = [MeasureRecord.model_validate(m) for m in bundle["measures"]]
    measures[0] = measures[0].model_copy(update=measure_changes)
    return DraftContent.model_validate({"memorandum": bundle["memorandum"], "measures": measures})


def test_a_draft_replaces_its_memorandum_and_its_measures(seed: CatalogueState) -> None:
    draft = _draft(seed, response_deadline_workdays=2)
    dropped = draft.model_copy(update={"measures": draft.measures[:1]})
    published, issues = apply_draft(seed, dropped)
    assert issues == []
    changes = changes_between(seed, published)
    assert {c.action for c in changes} == {"changed", "removed"}
    assert event_key(changes) == "catalogue"
    assert not is_stale(seed, "safety_production", seed.bundle("safety_production"))
    assert is_stale(published, "safety_production", seed.bundle("safety_production"))


def test_a_draft_cannot_take_another_memorandums_measure(seed: CatalogueState) -> None:
    stolen = seed.measures["restrict_flights"].model_copy(
        update={"memorandum": "safety_production"}
    )
    draft = _draft(seed)
    draft = draft.model_copy(update={"measures": (*draft.measures, stolen)})
    _, issues = apply_draft(seed, draft)
    assert ("restrict_flights", "code") in {(i.code, i.field) for i in issues}
