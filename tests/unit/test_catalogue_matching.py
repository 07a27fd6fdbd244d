"""Which measures a designation triggers at a department, and who owes a response."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.catalogue import Catalogue, CatalogueGap, CatalogueRevision, Measure
from shared.events.catalogue import CatalogueChange, CatalogueVersionPublished
from shared.events.designations import DesignationSubject, ResponsiblePerson

pytestmark = pytest.mark.unit

SEED = Path(__file__).resolve().parents[2] / "services/registry/seed_data/catalogue.json"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.from_document(json.loads(SEED.read_text(encoding="utf-8")))


ORG = DesignationSubject(kind="organisation", id="91350100M000100Y43", name="某公司")
PERSON = DesignationSubject(kind="person", id="11010519491231002X", name="张三")
LEGAL_REP = ResponsiblePerson(role="legal_representative", id="110105194912310037", name="李四")


def test_general_memorandum_measures_join_every_black_designation(catalogue: Catalogue) -> None:
    triggered = {m.code for m in catalogue.memoranda_triggered("food_drug")}
    assert triggered == {"food_drug", "serious_dishonesty_general"}
    red = {m.code for m in catalogue.memoranda_triggered("tax_credit_a")}
    assert red == {"tax_credit_a", "honest_exemplars"}
    assert catalogue.memoranda_triggered("no_such_memorandum") == []


def test_owing_departments_are_the_implementing_departments(catalogue: Catalogue) -> None:
    owing = catalogue.departments_owing("dishonest_judgment_debtors")
    expected = {
        department
        for measure in catalogue.measures.values()
        if measure.memorandum in {"dishonest_judgment_debtors", "serious_dishonesty_general"}
        for department in measure.implementing_departments
    }
    assert owing == expected
    assert "court" in owing


def test_a_responsible_person_is_reached_only_by_measures_that_name_the_role(
    catalogue: Catalogue,
) -> None:
    reaching_people = 0
    for department in catalogue.departments:
        for outcome in catalogue.measures_for(
            department, "dishonest_judgment_debtors", ORG, [LEGAL_REP]
        ):
            roles = {target.role for target in outcome.targets}
            if "legal_representative" in roles:
                reaching_people += 1
                assert "legal_representative" in outcome.measure.subject_types
            if "subject" in roles:
                assert "organisation" in outcome.measure.subject_types
    assert reaching_people > 0


def test_a_measure_that_reaches_no_target_says_why(catalogue: Catalogue) -> None:
    outcomes = [
        outcome
        for department in catalogue.departments
        for outcome in catalogue.measures_for(department, "government_procurement", PERSON)
    ]
    not_applicable = [o for o in outcomes if not o.applicable]
    assert not_applicable
    assert all("reaches only" in o.not_applicable_reason for o in not_applicable)
    assert any(o.applicable for o in outcomes)


def test_versions_apply_in_order_and_gaps_are_refused(catalogue: Catalogue) -> None:
    measure = next(iter(catalogue.measures.values()))
    changed = measure.model_dump(mode="json") | {"response_deadline_workdays": 9}
    event = CatalogueVersionPublished(
        version=2,
        changes=(
            CatalogueChange(entity="measure", action="changed", code=measure.code, value=changed),
            CatalogueChange(entity="department", action="removed", code="oversight"),
        ),
    )
    after = catalogue.applied(event)
    assert after.version == 2
    assert after.measures[measure.code].response_deadline_workdays == 9
    assert "oversight" not in after.departments
    with pytest.raises(CatalogueGap):
        after.applied(event.model_copy(update={"version": 4}))


def _revised(catalogue: Catalogue, *measures: Measure, removed: str = "") -> Catalogue:
    kept = {code: m for code, m in catalogue.measures.items() if code != removed}
    kept.update({m.code: m for m in measures})
    return Catalogue(
        catalogue.version + 1,
        catalogue.departments.values(),
        catalogue.memoranda.values(),
        kept.values(),
    )


def _not_owing(catalogue: Catalogue, memorandum: str) -> str:
    return sorted(set(catalogue.departments) - catalogue.departments_owing(memorandum))[0]


def test_a_revision_names_the_memoranda_a_department_must_match_again(
    catalogue: Catalogue,
) -> None:
    assert catalogue.revision_for("court", catalogue) == CatalogueRevision(frozenset(), frozenset())
    template = next(
        m
        for m in catalogue.measures.values()
        if m.memorandum == "dishonest_judgment_debtors" and len(m.subject_types) > 1
    )
    newcomer = _not_owing(catalogue, "dishonest_judgment_debtors")
    added = template.model_copy(
        update={"code": "revision_test_measure", "implementing_departments": (newcomer,)}
    )
    revision = _revised(catalogue, added).revision_for(newcomer, catalogue)
    assert revision.changed == revision.newly_owed == {"dishonest_judgment_debtors"}

    owner = template.implementing_departments[0]
    reworded = template.model_copy(update={"content": template.content + "(修订)"})
    assert not _revised(catalogue, reworded).revision_for(owner, catalogue).changed

    narrowed = template.model_copy(update={"subject_types": template.subject_types[:1]})
    revision = _revised(catalogue, narrowed).revision_for(owner, catalogue)
    assert "dishonest_judgment_debtors" in revision.changed
    assert "dishonest_judgment_debtors" not in revision.newly_owed

    dropped = _revised(catalogue, removed=template.code).revision_for(owner, catalogue)
    assert "dishonest_judgment_debtors" in dropped.changed


def test_a_general_memorandum_revision_reaches_every_memorandum_of_its_list_type(
    catalogue: Catalogue,
) -> None:
    general = next(
        m for m in catalogue.measures.values() if m.memorandum == "serious_dishonesty_general"
    )
    newcomer = _not_owing(catalogue, "serious_dishonesty_general")
    added = general.model_copy(
        update={"code": "revision_general_measure", "implementing_departments": (newcomer,)}
    )
    revision = _revised(catalogue, added).revision_for(newcomer, catalogue)
    black = {code for code, m in catalogue.memoranda.items() if m.list_type == "black"}
    assert revision.changed == black
    assert "tax_credit_a" not in revision.changed
