"""The catalogue read from the registry at start, and a gap in catalogue versions filled from it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from shared.events.catalogue import CATALOGUE_VERSION_PUBLISHED, CatalogueVersionPublished
from shared.events.designations import DesignationEventType as Kind
from shared.events.envelope import new_event
from shared.persistence.database import make_engine
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, publish, seed_document
from tests.support.kafka import wait_for
from tests.support.responder import ResponderHarness

pytestmark = pytest.mark.integration


class FakeRegistry:
    """Serves `GET /v1/catalogue` as the registry does (a public document)."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = seed_document() | {"version": 1}
        self.reads = 0
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/v1/catalogue":
                    self.send_error(404)
                    return
                registry.reads += 1
                body = orjson.dumps(registry.document)
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _version_event(version: int) -> Any:
    data = CatalogueVersionPublished(version=version, changes=()).model_dump(mode="json")
    return new_event(CATALOGUE_VERSION_PUBLISHED, "registry", data)


async def test_the_catalogue_comes_from_the_registry_and_gaps_are_filled(
    database_url: str, bootstrap: str, authority: TestAuthority, registry: FakeRegistry
) -> None:
    async with ResponderHarness(
        database_url,
        bootstrap,
        authority,
        "court",
        seed_catalogue=False,
        catalogue_stored=False,
        registry_url=registry.url,
    ) as responder:
        await responder.ready()
        assert responder.state.catalogue is not None
        assert responder.state.catalogue.version == 1
        state = designation_state()
        await responder.publish_states(Kind.initiated, state)
        await responder.settled(state["id"], 1)
        titles = {
            m["measure_code"]: m["measure_title"]
            for m in await responder.measures(state["subject"]["id"])
        }
        assert titles["restrict_flights"] != "限制乘坐民航飞机(修订)"

        renamed = [
            m | {"title": "限制乘坐民航飞机(修订)"} if m["code"] == "restrict_flights" else m
            for m in seed_document()["measures"]
        ]
        registry.document = registry.document | {"version": 3, "measures": renamed}
        await publish(responder.settings, Topic.CATALOGUE, [_version_event(3), _version_event(2)])

        def at_version_3() -> bool:
            catalogue = responder.state.catalogue
            return catalogue is not None and catalogue.version == 3

        await wait_for(at_version_3)
        titles = {
            m["measure_code"]: m["measure_title"]
            for m in await responder.measures(state["subject"]["id"])
        }
        assert titles["restrict_flights"] == "限制乘坐民航飞机(修订)"
        status = await responder.client.get("/v1/status", headers=responder.headers())
        assert status.json()["catalogue_version"] == 3
        assert registry.reads == 2

        engine = make_engine(responder.settings)
        try:
            async with engine.connect() as connection:
                stored = await connection.scalar(text("SELECT version FROM catalogue_state"))
        finally:
            await engine.dispose()
        assert stored == 3, "kept in the database for the next start"
