"""A catalogue revision reaches designations already held: the responder asks for them again,
matches the re-published snapshots against the new catalogue, and answers what changed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.catalogue import Catalogue
from shared.events.catalogue import (
    CATALOGUE_VERSION_PUBLISHED,
    CatalogueChange,
    CatalogueVersionPublished,
)
from shared.events.designations import DesignationEventType as Kind
from shared.events.envelope import new_event
from shared.events.republish import RepublishRequested
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, person_id, publish, seed_document
from tests.support.kafka import read_until, wait_for
from tests.support.responder import ResponderHarness, of_designation

pytestmark = pytest.mark.integration

LEGAL_REP = {"role": "legal_representative", "id": person_id(7_300_001), "name": "王五"}


def _measure(template: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {**template, **values}


def _catalogue_event(version: int, *changes: CatalogueChange) -> Any:
    data = CatalogueVersionPublished(version=version, changes=changes).model_dump(mode="json")
    return new_event(CATALOGUE_VERSION_PUBLISHED, "registry", data)


async def _requests(responder: ResponderHarness, count: int) -> list[RepublishRequested]:
    records = await read_until(
        responder.bootstrap,
        responder.settings.topic(Topic.REPUBLISH_REQUESTS),
        lambda found: len(found) >= count,
    )
    return [RepublishRequested.model_validate(json.loads(r.value)["data"]) for r in records]


def _codes(measures: list[dict[str, Any]]) -> set[str]:
    return {m["measure_code"] for m in measures}


async def test_a_revision_is_applied_to_designations_held_and_newly_owed(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    seed = seed_document()
    catalogue = Catalogue.from_document(seed)
    assert "court" not in catalogue.departments_owing("tax_credit_a")
    judgment = designation_state(responsible_persons=[LEGAL_REP])
    untouched = designation_state(memorandum_code="food_drug")
    red = designation_state(memorandum_code="tax_credit_a", list_type="red")
    template = next(m for m in seed["measures"] if m["memorandum"] == "dishonest_judgment_debtors")
    for_the_legal_rep = _measure(
        template,
        code="revision_rep_only",
        implementing_departments=["court"],
        subject_types=["legal_representative"],
    )
    red_template = next(m for m in seed["measures"] if m["memorandum"] == "tax_credit_a")
    red_incentive = _measure(
        red_template,
        code="revision_court_incentive",
        implementing_departments=["court"],
        subject_types=["organisation"],
    )
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        await responder.ready()
        await responder.publish_states(Kind.initiated, judgment, untouched, red)
        await responder.settled(judgment["id"], 1)
        await responder.settled(untouched["id"], 1)
        assert await responder.held(red["id"]) is None  # court did not owe it
        rep_before = _codes(await responder.measures(LEGAL_REP["id"]))
        assert "revision_rep_only" not in rep_before

        await publish(
            responder.settings,
            Topic.CATALOGUE,
            [
                _catalogue_event(
                    2,
                    CatalogueChange(
                        entity="measure",
                        action="added",
                        code="revision_rep_only",
                        value=for_the_legal_rep,
                    ),
                    CatalogueChange(
                        entity="measure",
                        action="added",
                        code="revision_court_incentive",
                        value=red_incentive,
                    ),
                )
            ],
        )
        by_id, by_memoranda = sorted(
            await _requests(responder, 2), key=lambda r: r.department_code or ""
        )
        assert by_id.reason == by_memoranda.reason == "catalogue_revised"
        assert [str(i) for i in by_id.designation_ids or ()] == [judgment["id"]]
        assert by_memoranda.department_code == "court"
        assert by_memoranda.memorandum_codes == ("tax_credit_a",)

        # The initiator answers both requests with snapshots of the versions it has.
        await responder.publish_states(Kind.republished, judgment, red)
        await responder.settled(red["id"], 1)
        assert "revision_court_incentive" in _codes(await responder.measures(red["subject"]["id"]))

        async def rep_reached() -> bool:
            return "revision_rep_only" in _codes(await responder.measures(LEGAL_REP["id"]))

        await wait_for(rep_reached, timeout_s=30)
        assert _codes(await responder.measures(LEGAL_REP["id"])) == rep_before | {
            "revision_rep_only"
        }
        receipts = await responder.receipts(
            lambda found: any(
                e["data"].get("measure_code") == "revision_rep_only"
                for e in of_designation(found, judgment["id"])
            )
        )
        applied = [
            e
            for e in of_designation(receipts, judgment["id"])
            if e["data"].get("measure_code") == "revision_rep_only"
        ]
        assert [e["data"]["target"]["id"] for e in applied] == [LEGAL_REP["id"]]

        # A revision taking the measure away lifts it, with the catalogue as the cause.
        await publish(
            responder.settings,
            Topic.CATALOGUE,
            [
                _catalogue_event(
                    3,
                    CatalogueChange(
                        entity="measure",
                        action="removed",
                        code="revision_rep_only",
                        memorandum_code="dishonest_judgment_debtors",
                    ),
                )
            ],
        )
        third = (await _requests(responder, 3))[-1]
        assert [str(i) for i in third.designation_ids or ()] == [judgment["id"]]
        await responder.publish_states(Kind.republished, judgment)

        async def rep_released() -> bool:
            return "revision_rep_only" not in _codes(await responder.measures(LEGAL_REP["id"]))

        await wait_for(rep_released, timeout_s=30)
        receipts = await responder.receipts(
            lambda found: any(
                e["data"].get("cause") == "catalogue_revised"
                for e in of_designation(found, judgment["id"])
            )
        )
        lifted = [
            e["data"]
            for e in of_designation(receipts, judgment["id"])
            if e["data"].get("cause") == "catalogue_revised"
        ]
        assert [(d["measure_code"], d["target"]["id"]) for d in lifted] == [
            ("revision_rep_only", LEGAL_REP["id"])
        ]
