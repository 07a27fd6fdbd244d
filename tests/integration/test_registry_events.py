"""Each published catalogue version reaches the broker as one event, through the outbox."""

from __future__ import annotations

import httpx
import pytest

from shared.catalogue import Catalogue
from shared.events.catalogue import CatalogueVersionPublished
from shared.events.envelope import Envelope
from shared.topics import Topic
from tests.support.kafka import read_until
from tests.support.registry import running_registry, serving

pytestmark = pytest.mark.integration


async def test_catalogue_versions_are_published_in_order_through_the_outbox(
    database_url: str, bootstrap: str
) -> None:
    async with (
        running_registry(database_url, bootstrap, run_relay=True) as registry,
        serving(registry.app, lifespan=True) as url,
    ):
        async with httpx.AsyncClient(base_url=url) as http:
            keys = (await http.get("/.well-known/jwks.json")).json()["keys"]
        assert len(keys) == 1, "the service creates its signing key at start"
        await registry.seed()
        admin = await registry.admin_headers()
        client = registry.client
        draft = (await client.post("/v1/memoranda/finance_related/draft", headers=admin)).json()
        draft["measures"][0]["scenarios"] = ["financing_credit"]
        body = {"memorandum": draft["memorandum"], "measures": draft["measures"]}
        await client.put("/v1/memorandum-drafts/finance_related", json=body, headers=admin)
        published = await client.post(
            "/v1/memorandum-drafts/finance_related/publish", headers=admin
        )
        assert published.json()["version"] == 2
        patched = await client.patch(
            "/v1/departments/railway", json={"active": False}, headers=admin
        )
        assert patched.json()["version"] == 3

        topic = registry.settings.topic(Topic.CATALOGUE)
        records = await read_until(bootstrap, topic, lambda found: len(found) >= 3, 30)

        by_version = {}
        for record in records:
            envelope = Envelope.parse(record.value)
            assert envelope.type == "cn.jointcredit.catalogue.version.published.v1"
            event = CatalogueVersionPublished.model_validate(envelope.data)
            by_version[event.version] = (record.key, event)
        assert sorted(by_version) == [1, 2, 3]
        assert [by_version[v][0] for v in (1, 2, 3)] == [
            b"catalogue",
            b"catalogue",
            b"catalogue",
        ]
        first = by_version[1][1]
        assert len(first.changes) == 122
        assert {c.action for c in first.changes} == {"added"}
        assert first.published_at is not None

        catalogue = Catalogue.from_document({}, 0)
        for version in (1, 2, 3):
            catalogue = catalogue.applied(by_version[version][1])
        current = (await client.get("/v1/catalogue")).json()
        assert catalogue.as_document() == Catalogue.from_document(current, 3).as_document()
        assert catalogue.measures[draft["measures"][0]["code"]].scenarios == ("financing_credit",)
        assert not catalogue.departments["railway"].active
