"""A whole platform instance as real processes, on a PostgreSQL server and a broker of its own.

The fault tests kill and restart these processes, restart the PostgreSQL server and restart the
broker with its log lost; private servers keep those faults away from every other test that runs
on the shared infrastructure at the same time. The platform is the one `jointcredit up` runs:
`jointcredit.up.prepare` (migrations, seed catalogue, demo credentials) and the services of
`jointcredit.platform.Platform`; the initiator's outbox relay runs as `jointcredit relay` of its
own (`RUN_RELAY=false` in the initiator) so that it can be killed alone.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from jointcredit.demo.client import PlatformClient
from jointcredit.infra.broker import EmbeddedBroker
from jointcredit.infra.postgres import EmbeddedPostgres
from jointcredit.layout import Layout
from jointcredit.platform import Platform
from jointcredit.up import prepare
from shared.catalogue import Catalogue
from shared.settings import libpq_url
from shared.topics import Topic
from tests.support.processes import REPO

RESPONDERS = ("court", "market", "finance")
"""The departments run, as in the demo; every other department is deactivated."""

COUNTED = (
    "jointcredit_consumer_messages",
    "jointcredit_feedback_receipts",
    "jointcredit_responder_designation_events",
    "jointcredit_reconciliation_requested",
    "jointcredit_reconciliation_rounds",
)
"""Counters summed over every life of every process (a restart starts them at zero)."""

CHILD_SETTINGS = {
    "ENVIRONMENT": "test",
    "TOPIC_PARTITIONS": "3",
    "KAFKA_SESSION_TIMEOUT_MS": "6000",
    "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
    "KAFKA_REBALANCE_TIMEOUT_MS": "1500",
    "OUTBOX_POLL_INTERVAL_S": "0.2",
    "OUTBOX_BATCH_SIZE": "50",
    "CONSUMER_BATCH_SIZE": "50",
    "CONSUMER_LOG_CHECK_INTERVAL_S": "2",
    "CONSUMER_BACKOFF_INITIAL_S": "0.02",
    "DATABASE_POOL_SIZE": "4",
    "RECONCILIATION_INTERVAL_S": "0",
    "CATALOGUE_FETCH_INTERVAL_S": "1",
}


@dataclass
class Ledger:
    """Counters scraped from /metrics, banked before a process is stopped or killed."""

    banked: dict[tuple[str, ...], float] = field(default_factory=lambda: defaultdict(float))
    current: dict[str, dict[tuple[str, ...], float]] = field(default_factory=dict)

    def record(self, label: str, text: str) -> None:
        values: dict[tuple[str, ...], float] = {}
        for family in text_string_to_metric_families(text):
            if family.name not in COUNTED:
                continue
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = (family.name, *sorted(f"{k}={v}" for k, v in sample.labels.items()))
                    values[key] = sample.value
        self.current[label] = values

    def bank(self, label: str) -> None:
        for key, value in self.current.pop(label, {}).items():
            self.banked[key] += value

    def total(self, name: str, **labels: str) -> float:
        wanted = {f"{k}={v}" for k, v in labels.items()}
        found = 0.0
        for values in (self.banked, *self.current.values()):
            for key, value in values.items():
                if key[0] == name and wanted <= set(key[1:]):
                    found += value
        return found

    def by_consumer(self, outcome: str) -> dict[str, float]:
        found: dict[str, float] = defaultdict(float)
        for values in (self.banked, *self.current.values()):
            for key, value in values.items():
                if key[0] == "jointcredit_consumer_messages" and f"outcome={outcome}" in key:
                    consumer = next(p for p in key[1:] if p.startswith("consumer="))
                    found[consumer.removeprefix("consumer=")] += value
        return dict(found)


@dataclass
class Figures:
    """What a fault run did, for RELIABILITY.md."""

    kills: list[str] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    started_in_s: float = 0.0
    reconciliation_requested: int = 0
    load: Any = None


class FaultPlatform:
    """Private PostgreSQL and broker, the prepared namespace, and the running services."""

    def __init__(self, replicas: int = 1, settings: dict[str, str] | None = None) -> None:
        self.replicas = replicas
        """processes of the initiator, feedback and each responder (a pod each, in production)"""
        self.settings = CHILD_SETTINGS | (settings or {})
        """every child's settings: `CHILD_SETTINGS` with this run's own on top"""
        self.state = Path(tempfile.mkdtemp(prefix="jointcredit-fault-"))
        self.postgres = EmbeddedPostgres(self.state)
        self.broker = EmbeddedBroker(self.state, name="broker")
        self.layout = Layout(f"fault{uuid.uuid4().hex[:6]}", RESPONDERS)
        self.platform = Platform(log_dir=self.state)
        self.ledger = Ledger()
        self.figures = Figures()
        self.relay: subprocess.Popen[bytes] | None = None
        self.database_url = ""
        self.bootstrap = ""
        self.pg_port = 0
        self.catalogue: Catalogue | None = None
        self.client: PlatformClient | None = None
        self.broker_log_lost_at: datetime | None = None
        self.tokens: dict[str, str] = {}

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        self.database_url = self.postgres.start()
        self.pg_port = int(self.database_url.rsplit(":", 1)[1].split("/")[0])
        self.bootstrap = self.broker.start()
        with mock.patch.dict(os.environ, self.infra_env()):
            prepared = prepare(self.layout, Console(file=io.StringIO()))
        self.credentials = prepared.credentials
        registry = self.platform.start("registry", "registry", self.env("registry"))
        self._require_ready()
        self.client = PlatformClient(registry.url, self.credentials)
        self.tokens = {name: self.client.token(name) for name in self.credentials}
        self._deactivate_departments_not_run()
        for name in ("initiator", "feedback"):
            for label in self.replica_labels(name):
                self.platform.start(label, name, self.env(name))
        for department in RESPONDERS:
            for label in self.replica_labels(f"responder-{department}"):
                self.platform.start(label, "responder", self.env("responder", department))
        self.start_relay()
        self._require_ready()

    def close(self) -> None:
        try:
            self.platform.stop()
            if self.relay is not None and self.relay.poll() is None:
                self.relay.send_signal(signal.SIGTERM)
                self.relay.wait(20)
        finally:
            self.broker.stop()
            self.postgres.stop(mode="immediate")
            shutil.rmtree(self.postgres.data_dir, ignore_errors=True)
            if not os.environ.get("JOINTCREDIT_KEEP_FAULT_LOGS"):
                shutil.rmtree(self.state, ignore_errors=True)

    def infra_env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "JOINTCREDIT_HOME": str(self.state),
        }

    def env(self, service: str, department: str | None = None) -> dict[str, str]:
        values = self.settings | self.infra_env() | self.layout.env(service, department)
        if service != "registry":
            values["REGISTRY_URL"] = self.url("registry")
        if service == "initiator":
            values["RUN_RELAY"] = "false"
        return values

    def url(self, label: str) -> str:
        return self.platform.service(label).url

    def replica_labels(self, label: str) -> list[str]:
        """`label` and the labels of its other replicas (`feedback`, `feedback-2`, ...)."""
        return [label, *(f"{label}-{n}" for n in range(2, self.replicas + 1))]

    def _require_ready(self) -> None:
        ready = self.platform.wait_ready(90)
        down = [label for label, ok in ready.items() if not ok]
        assert not down, f"not ready: {down}; logs in {self.state}"

    def _deactivate_departments_not_run(self) -> None:
        """One departments import through the admin API: only the responders run are active,
        so that feedback expects answers from them alone (catalogue version 2)."""
        registry = self.url("registry")
        with httpx.Client(timeout=30) as http:
            exported = http.get(
                f"{registry}/v1/catalogue/export/departments", params={"format": "csv"}
            )
            assert exported.status_code == 200, exported.text
            rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
            header, body = rows[0], rows[1:]
            code_at, active_at = header.index("编码"), header.index("启用")
            for row in body:
                row[active_at] = "是" if row[code_at] in RESPONDERS else "否"
            out = io.StringIO()
            csv.writer(out).writerows([header, *body])
            imported = http.post(
                f"{registry}/v1/catalogue/import/departments",
                files={"file": ("departments.csv", out.getvalue().encode(), "text/csv")},
                headers=self.headers("platform_admin"),
            )
            assert imported.status_code == 200, imported.text
            document = http.get(f"{registry}/v1/catalogue").json()
        self.catalogue = Catalogue.from_document(document, document["version"])
        active = {c for c, d in self.catalogue.departments.items() if d.active}
        assert active == set(RESPONDERS), active

    async def wait_catalogue_everywhere(self) -> None:
        """Until the initiator, feedback and every responder hold the current catalogue."""
        assert self.catalogue is not None
        wanted = self.catalogue.version
        queries = {
            self.layout.database("initiator"): "SELECT max(version) FROM catalogue_versions",
            self.layout.database("feedback"): "SELECT version FROM catalogue_state",
            **{
                self.layout.database("responder", d): "SELECT version FROM catalogue_state"
                for d in RESPONDERS
            },
        }
        deadline = time.monotonic() + 90
        while True:
            held = {db: await self.fetchval(db, sql) for db, sql in queries.items()}
            if all(v is not None and int(v) >= wanted for v in held.values()):
                return
            assert time.monotonic() < deadline, f"catalogue {wanted} not held everywhere: {held}"
            await asyncio.sleep(0.3)

    # -- processes --------------------------------------------------------------------------

    def relay_env(self) -> dict[str, str]:
        return (
            self.settings
            | self.infra_env()
            | self.layout.env("initiator")
            | {"SERVICE_NAME": "initiator-relay"}
        )

    def start_relay(self, failpoints: str = "") -> None:
        env = {**os.environ, **self.relay_env()}
        env.pop("JOINTCREDIT_FAILPOINTS", None)
        if failpoints:
            env["JOINTCREDIT_FAILPOINTS"] = failpoints
        with (self.state / "initiator-relay.log").open("ab") as log:
            self.relay = subprocess.Popen(
                [sys.executable, "-m", "jointcredit.cli", "relay"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def relay_exit(self, timeout_s: float = 90) -> int:
        """Until the relay process ended (killed by its failpoint); its return code."""
        assert self.relay is not None
        code = self.relay.wait(timeout_s)
        self.figures.kills.append("initiator-relay (failpoint)")
        return code

    def kill_relay(self) -> None:
        assert self.relay is not None
        if self.relay.poll() is None:
            self.relay.send_signal(signal.SIGKILL)
        self.relay.wait(30)
        self.figures.kills.append("initiator-relay")

    async def scrape(self, label: str) -> None:
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                response = await http.get(f"{self.url(label)}/metrics")
        except httpx.HTTPError:
            return
        if response.status_code == 200:
            self.ledger.record(label, response.text)

    async def scrape_all(self) -> None:
        await asyncio.gather(*(self.scrape(s.label) for s in self.platform.services))

    async def kill(self, label: str) -> None:
        """SIGKILL, after banking the counters the process reached."""
        await self.scrape(label)
        self.ledger.bank(label)
        self.platform.kill(label)
        self.figures.kills.append(label)

    async def restart(self, label: str, failpoints: str = "") -> None:
        """Start a stopped or killed service again (a running one is stopped gracefully)."""
        if self.platform.service(label).process.poll() is None:
            await self.scrape(label)
        self.ledger.bank(label)
        extra = {"JOINTCREDIT_FAILPOINTS": failpoints} if failpoints else {}
        await asyncio.to_thread(self.platform.restart, label, extra)
        self.figures.restarts.append(label)

    def pause(self, label: str) -> None:
        """SIGSTOP: the process holds its connections but reads nothing (keep it short: the
        broker evicts a consumer silent for KAFKA_SESSION_TIMEOUT_MS)."""
        self.platform.service(label).process.send_signal(signal.SIGSTOP)

    def resume(self, label: str) -> None:
        self.platform.service(label).process.send_signal(signal.SIGCONT)

    def log_of(self, label: str) -> str:
        return (self.state / f"{label}.log").read_text(errors="replace")

    async def wait_ready(self, *labels: str, timeout_s: float = 90) -> None:
        """Until each of `labels` answers /readyz with 200."""
        waiting = set(labels)
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=3) as http:
            while waiting:
                for label in sorted(waiting):
                    try:
                        response = await http.get(f"{self.url(label)}/readyz")
                    except httpx.HTTPError:
                        continue
                    if response.status_code == 200:
                        waiting.discard(label)
                assert time.monotonic() < deadline, f"not ready: {waiting}; logs in {self.state}"
                await asyncio.sleep(0.2)

    async def wait_exit(self, label: str, timeout_s: float = 90) -> int:
        """Until a process killed itself (a failpoint); its return code."""
        process = self.platform.service(label).process
        deadline = time.monotonic() + timeout_s
        while process.poll() is None:
            assert time.monotonic() < deadline, f"{label} did not reach its failpoint"
            await asyncio.sleep(0.1)
        self.figures.kills.append(f"{label} (failpoint)")
        return int(process.returncode)

    # -- infrastructure faults --------------------------------------------------------------

    async def restart_postgres(
        self, down_for_s: float, then: Awaitable[None] | None = None
    ) -> None:
        """Stop PostgreSQL as in a crash (`immediate`: no checkpoint, WAL recovery at start),
        wait (and run `then`) while it is down, and start it again on the same port."""
        await asyncio.to_thread(self.postgres.stop, "immediate")
        self.figures.kills.append("postgresql")
        if then is not None:
            await then
        await asyncio.sleep(down_for_s)
        await asyncio.to_thread(self.postgres.start, self.pg_port)
        self.figures.restarts.append("postgresql")

    async def restart_broker_losing_its_log(self, down_for_s: float) -> None:
        await asyncio.to_thread(self.broker.stop, signal.SIGKILL)
        self.figures.kills.append("broker")
        self.broker_log_lost_at = datetime.now(UTC)
        await asyncio.sleep(down_for_s)
        await asyncio.to_thread(self.broker.start)
        self.figures.restarts.append("broker (empty)")

    async def requeue_outbox(self, database: str, topic: str) -> int:
        """The operator command `jointcredit outbox requeue`, as a process: everything `database`
        sent on `topic` since the platform started is published again."""
        command = [
            str(REPO / ".venv/bin/jointcredit"),
            "outbox",
            "requeue",
            "--since-hours",
            "24",
            "--topic",
            topic,
            "--database-name",
            database,
        ]
        done = await asyncio.to_thread(
            subprocess.run,
            command,
            env=os.environ | self.infra_env() | {"COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return int(done.stdout.split()[0])

    # -- reading the databases --------------------------------------------------------------

    async def fetch(self, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(libpq_url(self.database_url, database))
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    async def fetchval(self, database: str, sql: str, *args: Any) -> Any:
        rows = await self.fetch(database, sql, *args)
        return rows[0][0] if rows else None

    def topic(self, topic: Topic) -> str:
        return f"{self.layout.topic_prefix}{topic.value}"

    # -- tokens -----------------------------------------------------------------------------

    def headers(self, client: str) -> dict[str, str]:
        """Bearer headers of a demo client (`jointcredit.up.DEMO_CLIENTS`), fetched at start."""
        return {"Authorization": f"Bearer {self.tokens[client]}"}

    # -- the audit trail --------------------------------------------------------------------

    async def verify_audit_chains(self) -> dict[str, int]:
        """`jointcredit audit verify` on every service database, as a process: each chain must
        verify after the faults. The entries each chain holds, by database."""
        databases = [self.layout.database(name) for name in ("registry", "initiator", "feedback")]
        databases += [self.layout.database("responder", d) for d in RESPONDERS]
        counts: dict[str, int] = {}
        for database in databases:
            command = [
                str(REPO / ".venv/bin/jointcredit"),
                "audit",
                "verify",
                "--database-name",
                database,
            ]
            done = await asyncio.to_thread(
                subprocess.run,
                command,
                env=os.environ | self.infra_env() | {"COLUMNS": "200"},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, f"{database}: {done.stdout}{done.stderr}"
            counts[database] = int(done.stdout.rsplit(":", 1)[1].split()[0])
        return counts
