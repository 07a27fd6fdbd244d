"""The dashboard in a real headless browser (Debian's chromium), served by uvicorn, with data fed
through the broker; the rendered DOM must show the figures computed from the generated data.

The screenshot is kept as a test artefact: `test-artifacts/feedback-dashboard.png`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn
from sqlalchemy import text

from jointcredit.infra.ports import free_port
from services.feedback.entrypoints.app import create
from services.feedback.entrypoints.dashboard import duration, percent
from shared.auth.principal import Role
from shared.persistence.migrations import upgrade_to_head
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import seed_document
from tests.support.feedback import (
    MIGRATIONS,
    SHANGHAI,
    Scenario,
    catalogue_events,
    expected_figures,
    expected_overdue,
    feedback_settings,
    generate,
    migrated_database,
    publish_all,
)
from tests.support.kafka import wait_for
from tests.support.processes import REPO

pytestmark = pytest.mark.e2e

AS_OF = datetime(2025, 12, 20, 12, 0, tzinfo=SHANGHAI)
ARTEFACTS = REPO / "test-artifacts"


def _chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return found


@dataclass
class Served:
    url: str
    scenario: Scenario
    authority: TestAuthority


@pytest.fixture(scope="module")
async def served(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> AsyncIterator[Served]:
    _chromium()
    scenario = generate(seed_document(), seed=11, count=12, as_of=AS_OF, lost=0)
    async with migrated_database(database_url) as name:
        settings = feedback_settings(database_url, bootstrap, authority, name)
        await upgrade_to_head(MIGRATIONS, settings)
        port = free_port()
        app = create(settings)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
        )
        task = asyncio.create_task(server.serve())
        try:
            await wait_for(lambda: server.started, 30)
            await publish_all(settings, Topic.CATALOGUE, catalogue_events())
            await publish_all(settings, Topic.DESIGNATIONS, scenario.designation_events())
            await publish_all(settings, Topic.RECEIPTS, [r.envelope for r in scenario.receipts])
            feedback = app.state.feedback
            events = 1 + len(scenario.designation_events()) + len(scenario.receipts)

            async def consumed() -> bool:
                async with feedback.runtime.sessions() as session:
                    count = await session.scalar(text("SELECT count(*) FROM inbox"))
                return bool(count >= events)

            await wait_for(consumed, 60)
            yield Served(f"http://127.0.0.1:{port}", scenario, authority)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)


async def _chromium_run(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        _chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 90)
    assert process.returncode == 0
    return out.decode("utf-8")


class _Page(HTMLParser):
    """The parts of the page the test reads: ranking rows, total cards, chart values, lists."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.totals: dict[str, str] = {}
        self.bars: list[dict[str, str]] = []
        self.named: dict[str, str] = {}
        self.details: dict[str, set[str]] = {}
        self._row: str | None = None
        self._cell: list[str] | None = None
        self._total: str | None = None
        self._value = False
        self._named: str | None = None
        self._count = False
        self._detail: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-department" in found:
            self._row = found["data-department"]
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "div" and "data-total" in found:
            self._total = found["data-total"]
        elif tag == "div" and found.get("class") == "value" and self._total:
            self._value = True
        elif tag in ("rect", "circle") and "data-value" in found:
            self.bars.append(found)
        elif tag == "li" and "data-department" in found:
            self._named = found["data-department"]
        elif tag == "span" and found.get("class") == "count" and self._named:
            self._count = True
        elif tag == "table" and "overdue-detail" in found.get("class", ""):
            self._detail = found.get("data-department", "")
            self.details[self._detail] = set()
        elif tag == "tr" and "data-designation" in found and self._detail is not None:
            self.details[self._detail].add(found["data-designation"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            self.rows[self._row].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._cell is None:
            self._row = None
        elif tag == "li":
            self._named = None
        elif tag == "table":
            self._detail = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._value and self._total:
            self.totals[self._total] = data.strip()
            self._value = False
            self._total = None
        if self._count and self._named:
            self.named[self._named] = data.strip()
            self._count = False


def _dashboard_url(served: Served) -> str:
    return f"{served.url}/dashboard?as_of={quote(AS_OF.isoformat())}"


async def test_dashboard_renders_the_figures_in_headless_chromium(
    served: Served, tmp_path: Path
) -> None:
    dom = await _chromium_run(
        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", _dashboard_url(served)
    )
    page = _Page()
    page.feed(dom)
    text = "".join(page.text)
    assert "跟踪问效" in text
    assert "联合惩戒" in text
    totals = expected_figures(served.scenario, [])[()]
    assert page.totals["designations"] == str(len(served.scenario.designations))
    for name in ("owed", "acknowledged", "overdue", "applied", "lifted", "enforcements"):
        assert page.totals[name] == str(totals[name]), name
    assert page.totals["response_rate"] == percent(totals["response_rate"])
    assert page.totals["median"] == duration(totals["median_response_seconds"])

    names = {d["code"]: d["name"] for d in served.scenario.document["departments"]}
    per_department = expected_figures(served.scenario, ["department"])
    assert set(page.rows) == {key[0] for key in per_department}
    for (code,), figures in per_department.items():
        cells = page.rows[code]
        assert cells[1] == names[code]
        assert cells[3:7] == [
            str(figures["owed"]),
            str(figures["acknowledged"]),
            percent(figures["response_rate"]),
            str(figures["overdue"]),
        ]
        assert cells[12] == str(figures["enforcements"])
    ranks = [int(cells[0]) for cells in page.rows.values()]
    assert sorted(ranks) == list(range(1, len(per_department) + 1))

    by_month = expected_figures(served.scenario, ["month"])
    owed_bars = {
        b["data-category"]: int(b["data-value"]) for b in page.bars if b["data-series"] == "应响应"
    }
    assert owed_bars == {key[0]: figures["owed"] for key, figures in by_month.items()}
    enforcement_points = {
        b["data-category"]: int(b["data-value"])
        for b in page.bars
        if b["data-series"] == "奖惩执行案例"
    }
    assert enforcement_points == {
        key[0]: figures["enforcements"] for key, figures in by_month.items()
    }

    overdue = expected_overdue(served.scenario, AS_OF)
    assert page.named == {code: str(len(ids)) for code, ids in overdue.items()}
    for designation in served.scenario.designations:
        assert designation.id not in dom  # identities only behind the oversight token

    ARTEFACTS.mkdir(exist_ok=True)
    screenshot = ARTEFACTS / "feedback-dashboard.png"
    screenshot.unlink(missing_ok=True)
    await _chromium_run(
        f"--user-data-dir={tmp_path / 'shot'}",
        f"--screenshot={screenshot}",
        "--window-size=1280,2000",
        _dashboard_url(served),
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000


async def test_overdue_details_load_with_an_oversight_token(served: Served, tmp_path: Path) -> None:
    token = served.authority.token("oversight", Role.oversight)
    dom = await _chromium_run(
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        f"{_dashboard_url(served)}#token={token}",
    )
    page = _Page()
    page.feed(dom)
    assert page.details == expected_overdue(served.scenario, AS_OF)
