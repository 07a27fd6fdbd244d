"""Feedback under test: a migrated database, the app with its consumer, and events as the
registry, the initiator and the responders would send them — with times in the past.

The expected figures are computed here from the generated data alone: owing departments from
the catalogue document, deadlines with `chinese_calendar` directly, percentiles by hand. None of
it uses the service's code or SQL.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import httpx
from fastapi import FastAPI
from sqlalchemy import text

from services.feedback.bootstrap import Feedback
from services.feedback.entrypoints.app import create
from services.feedback.settings import FeedbackSettings
from shared.events.catalogue import (
    CATALOGUE_VERSION_PUBLISHED,
    CatalogueChange,
    CatalogueVersionPublished,
)
from shared.events.designations import DesignationEventType
from shared.events.envelope import Envelope, new_event
from shared.events.receipts import RECEIPT_BUNDLE, ReceiptEventType
from shared.identifiers import make_credit_code
from shared.kafka import make_producer
from shared.persistence.database import drop_database
from shared.persistence.migrations import upgrade_to_head
from shared.topics import Topic
from tests.support.auth import TestAuthority
from tests.support.events import designation_state, person_id, seed_catalogue_event
from tests.support.infra import FAST_GROUP_TIMEOUTS
from tests.support.kafka import wait_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIGRATIONS = Path(__file__).resolve().parents[2] / "services/feedback/adapters/migrations"
RECEIPT_NAMESPACE = uuid.UUID("6c1a2b9e-3f4d-5e6f-8a7b-9c0d1e2f3a4b")


def feedback_settings(
    database_url: str,
    bootstrap: str,
    authority: TestAuthority,
    database_name: str,
    **overrides: Any,
) -> FeedbackSettings:
    tag = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "database_name": database_name,
        "kafka_bootstrap_servers": bootstrap,
        "topic_prefix": f"t{tag}.",
        "consumer_group": f"feedback-{tag}",
        "topic_partitions": 3,
        "consumer_backoff_initial_s": 0.01,
        "consumer_max_attempts": 3,
        "outbox_poll_interval_s": 0.2,
        "reconciliation_interval_s": 0,
        "registry_url": "http://127.0.0.1:9",
        "registry_timeout_s": 1.0,
        "auth_jwks_url": authority.jwks_url,
        **FAST_GROUP_TIMEOUTS,
        **overrides,
    }
    return FeedbackSettings.model_validate(values)


@dataclass
class RunningFeedback:
    settings: FeedbackSettings
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def feedback(self) -> Feedback:
        feedback: Feedback = self.app.state.feedback
        return feedback

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.feedback.runtime.sessions() as session:
            return await session.scalar(text(sql), params)

    async def consumed(self) -> int:
        return int(
            await self.scalar(
                "SELECT count(*) FROM inbox WHERE consumer = :group",
                group=self.settings.consumer_group,
            )
        )

    async def wait_consumed(self, events: int, timeout_s: float = 60.0) -> None:
        """Until the inbox holds `events` distinct events of this consumer."""

        async def done() -> bool:
            return await self.consumed() >= events

        await wait_for(done, timeout_s)

    async def wait_catalogue(self, version: int) -> None:
        async def held() -> bool:
            found = await self.scalar("SELECT version FROM catalogue_state WHERE id = 1")
            return found is not None and int(found) >= version

        await wait_for(held, 60.0)


@asynccontextmanager
async def migrated_database(database_url: str) -> AsyncIterator[str]:
    name = f"feedback_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        await drop_database(database_url, name)


@asynccontextmanager
async def running_feedback(
    database_url: str, bootstrap: str, authority: TestAuthority, **overrides: Any
) -> AsyncIterator[RunningFeedback]:
    """The service with its consumer and relay running, on a fresh database and topics."""
    async with migrated_database(database_url) as name:
        settings = feedback_settings(database_url, bootstrap, authority, name, **overrides)
        await upgrade_to_head(MIGRATIONS, settings)
        app = create(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://feedback") as client:
                yield RunningFeedback(settings, app, client)


async def publish_all(
    settings: FeedbackSettings, topic: Topic, envelopes: Sequence[Envelope]
) -> None:
    """Produce as the relays do (designations keyed by subject, receipts by designation id)."""
    producer = make_producer(settings)
    await producer.start()
    try:
        sent = []
        for envelope in envelopes:
            if topic is Topic.DESIGNATIONS:
                key = str(envelope.data["subject"]["id"])
            elif topic is Topic.CATALOGUE:
                key = "catalogue"
            else:
                key = str(envelope.subject)
            sent.append(
                await producer.send(
                    settings.topic(topic),
                    envelope.to_bytes(),
                    key=key.encode(),
                    headers=envelope.kafka_headers(),
                )
            )
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def at(envelope: Envelope, moment: datetime) -> Envelope:
    return envelope.model_copy(update={"time": moment})


def catalogue_events(changes: Iterable[CatalogueChange] = ()) -> list[Envelope]:
    """Version 1 (the seed), and a version 2 with `changes` when there are any."""
    events = [seed_catalogue_event()]
    changes = tuple(changes)
    if changes:
        data = CatalogueVersionPublished(version=2, changes=changes).model_dump(mode="json")
        events.append(new_event(CATALOGUE_VERSION_PUBLISHED, "registry", data))
    return events


def department_change(document: dict[str, Any], code: str, **values: Any) -> CatalogueChange:
    record = next(d for d in document["departments"] if d["code"] == code)
    return CatalogueChange(
        entity="department", action="changed", code=code, value={**record, **values}
    )


# ---------------------------------------------------------------------------------------------
# The catalogue rule, restated from the document (independently of shared.catalogue)


def owing_departments(
    document: dict[str, Any], memorandum: str
) -> dict[str, tuple[int, list[str]]]:
    """department -> (smallest deadline in working days, measure codes), active ones only."""
    own = next(m for m in document["memoranda"] if m["code"] == memorandum)
    memoranda = {memorandum} | {
        m["code"]
        for m in document["memoranda"]
        if m.get("applies_to_all") and m["list_type"] == own["list_type"]
    }
    active = {d["code"] for d in document["departments"] if d.get("active", True)}
    found: dict[str, tuple[int, list[str]]] = {}
    for measure in document["measures"]:
        if measure["memorandum"] not in memoranda:
            continue
        for department in measure["implementing_departments"]:
            if department not in active:
                continue
            days, codes = found.get(department, (10**6, []))
            found[department] = (
                min(days, measure["response_deadline_workdays"]),
                [*codes, measure["code"]],
            )
    return found


def due_date(start: date, workdays: int) -> date:
    day = start
    while workdays:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            workdays -= 1
    return day


def overdue_from(reached_at: datetime, workdays: int) -> datetime:
    due = due_date(reached_at.astimezone(SHANGHAI).date(), workdays)
    return datetime.combine(due + timedelta(days=1), time(), SHANGHAI)


def month(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (what percentile_cont computes)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


# ---------------------------------------------------------------------------------------------
# Generated designations and receipts


def receipt_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(RECEIPT_NAMESPACE, "|".join(str(p) for p in parts))


@dataclass
class Receipt:
    kind: ReceiptEventType
    data: dict[str, Any]
    envelope: Envelope

    @property
    def department(self) -> str:
        return str(self.data["department_code"])

    @property
    def occurred_at(self) -> datetime:
        if self.kind is ReceiptEventType.enforcement:
            return datetime.fromisoformat(self.data["enforced_at"])
        if self.kind is ReceiptEventType.measure_lifted:
            return datetime.fromisoformat(self.data["lifted_at"])
        return datetime.fromisoformat(self.data["recorded_at"])


def make_receipt(
    kind: ReceiptEventType,
    department: str,
    designation: dict[str, Any],
    answers: Envelope,
    recorded_at: datetime,
    measure: str | None = None,
    **extra: Any,
) -> Receipt:
    data: dict[str, Any] = {
        "receipt_id": str(
            receipt_id(department, designation["id"], designation["version"], kind.value, measure)
        ),
        "department_code": department,
        "designation_id": designation["id"],
        "designation_version": designation["version"],
        "answers": str(answers.id),
        "recorded_at": recorded_at.isoformat(),
        **extra,
    }
    if measure is not None:
        data["measure_code"] = measure
    envelope = new_event(kind.value, f"responder-{department}", data, subject=designation["id"])
    return Receipt(kind, data, at(envelope, recorded_at))


def bundled(receipts: Iterable[Receipt]) -> list[Envelope]:
    """The receipts as responders send them: those of one department about one designation
    together in one `receipt.bundle.v1` event (in their order), a lone one as itself."""
    groups: dict[tuple[str, str], list[Receipt]] = {}
    for receipt in receipts:
        groups.setdefault((receipt.department, receipt.data["designation_id"]), []).append(receipt)
    envelopes = []
    for (department, designation_id), together in groups.items():
        if len(together) == 1:
            envelopes.append(together[0].envelope)
            continue
        data = {
            "department_code": department,
            "designation_id": designation_id,
            "receipts": [{"type": r.kind.value, "data": r.data} for r in together],
        }
        envelope = new_event(
            RECEIPT_BUNDLE, f"responder-{department}", data, subject=designation_id
        )
        envelopes.append(at(envelope, together[-1].occurred_at))
    return envelopes


LIFECYCLES: dict[str, tuple[str, ...]] = {
    "stays": (),
    "suspend_correct": ("suspended", "corrected"),
    "suspend_revoke": ("suspended", "revoked"),
    "revoke": ("revoked",),
    "repair": ("repaired",),
    "expire": ("expired",),
    "suspend_resume_revoke": ("suspended", "active", "revoked"),
    "suspend": ("suspended",),
    "extend": ("active",),
}
_EVENT_OF_STEP = {
    "suspended": DesignationEventType.suspended,
    "corrected": DesignationEventType.corrected,
    "revoked": DesignationEventType.revoked,
    "repaired": DesignationEventType.repaired,
    "expired": DesignationEventType.expired,
}
MEMORANDA = (
    ("dishonest_judgment_debtors", "black", "court", "person"),
    ("dishonest_judgment_debtors", "black", "court", "organisation"),
    ("government_procurement", "black", "finance", "organisation"),
    ("safety_production", "black", "safety", "organisation"),
    ("tax_credit_a", "red", "tax", "organisation"),
    ("honest_exemplars", "red", "fgw", "person"),
    ("contract_abiding_enterprises", "red", "market", "organisation"),
)
DELAYS_H = (0.2, 1.0, 5.0, 26.0, 80.0, 150.0, 300.0)


@dataclass
class Designation:
    state: dict[str, Any]
    lifecycle: str
    events: list[Envelope]
    reached_at: datetime
    owing: dict[str, tuple[int, list[str]]]
    statuses: list[str]
    answered: dict[str, datetime] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.state["id"])


@dataclass
class Scenario:
    document: dict[str, Any]
    as_of: datetime
    designations: list[Designation]
    receipts: list[Receipt]
    lost: list[Designation]
    """Designations whose events are never published; only their receipts arrive."""
    early: set[str]
    """Designations whose receipts are published before the designation."""
    resent: list[Envelope]
    """Receipts sent again with a new event id and the same receipt id."""
    repeated: list[Envelope]
    """Events delivered twice (same event id)."""

    def designation_events(self) -> list[Envelope]:
        return [event for d in self.designations for event in d.events]


def _times_after(rng: random.Random, start: datetime, limit: datetime, hours: float) -> datetime:
    moment = start + timedelta(hours=hours * rng.uniform(0.8, 1.2))
    return min(moment, limit)


def generate(
    document: dict[str, Any], *, seed: int, count: int, as_of: datetime, lost: int = 1
) -> Scenario:
    rng = random.Random(seed)
    start = as_of - timedelta(days=110)
    designations: list[Designation] = []
    receipts: list[Receipt] = []
    lifecycles = list(LIFECYCLES)
    for index in range(count + lost):
        memorandum, list_type, initiator, kind = MEMORANDA[index % len(MEMORANDA)]
        serial = seed * 1000 + index
        persons = (
            [{"role": "legal_representative", "id": person_id(serial + 7), "name": f"法人{index}"}]
            if kind == "organisation" and list_type == "black"
            else []
        )
        reached = start + timedelta(minutes=rng.randrange(0, 105 * 24 * 60))
        state = designation_state(
            memorandum_code=memorandum,
            list_type=list_type,
            subject_kind=kind,
            subject_id=make_credit_code(str(serial)) if kind == "organisation" else None,
            serial=serial,
            responsible_persons=persons,
            initiating_department=initiator,
        )
        first_type = DesignationEventType.initiated
        if index == 0:
            first_type = DesignationEventType.republished  # its initiated event never arrived
        initiated = at(
            new_event(first_type.value, "initiator", state, subject=state["id"]), reached
        )
        lifecycle = lifecycles[index % len(lifecycles)]
        designation = Designation(
            state=state,
            lifecycle=lifecycle,
            events=[initiated],
            reached_at=reached,
            owing=owing_departments(document, memorandum),
            statuses=["active"],
        )
        applied: dict[str, list[str]] = {}
        for department, (_, measures) in sorted(designation.owing.items()):
            if rng.random() < 0.25:
                continue  # never answers
            answered = reached + timedelta(hours=rng.choice(DELAYS_H) * rng.uniform(0.8, 1.2))
            if answered > as_of:
                continue
            designation.answered[department] = answered
            receipts.append(
                make_receipt(ReceiptEventType.received, department, state, initiated, answered)
            )
            if rng.random() < 0.35:
                for measure in rng.sample(measures, min(2, len(measures))):
                    recorded = _times_after(rng, answered, as_of, 0.5)
                    if rng.random() < 0.8:
                        receipts.append(
                            make_receipt(
                                ReceiptEventType.measure_applied,
                                department,
                                state,
                                initiated,
                                recorded,
                                measure,
                                target={"kind": kind, "id": state["subject"]["id"]},
                                applied_from=state["period_start"],
                                applied_until=state["period_end"],
                            )
                        )
                        applied.setdefault(department, []).append(measure)
                    else:
                        receipts.append(
                            make_receipt(
                                ReceiptEventType.measure_not_applicable,
                                department,
                                state,
                                initiated,
                                recorded,
                                measure,
                                reason=f"measure {measure} reaches only: organisation",
                            )
                        )
        for department, measures in sorted(applied.items()):
            for measure in measures:
                if rng.random() < 0.4:
                    enforced = _times_after(rng, designation.answered[department], as_of, 200)
                    receipts.append(
                        make_receipt(
                            ReceiptEventType.enforcement,
                            department,
                            state,
                            initiated,
                            enforced,
                            measure,
                            target={"kind": kind, "id": state["subject"]["id"]},
                            enforced_at=enforced.isoformat(),
                            business_system=f"{department}-审批系统",
                            case_reference=f"{department}-{serial}-{measure}",
                            scenario="administrative_approval",
                            result="不予受理" if list_type == "black" else "容缺受理",
                            amount=float(rng.randrange(1000, 900000)),
                            district="131100",
                        )
                    )
        moment = reached
        version_state = state
        for step in LIFECYCLES[lifecycle]:
            moment = _times_after(rng, moment, as_of - timedelta(hours=1), 48)
            version_state = {**version_state, "version": version_state["version"] + 1}
            if step == "active":
                event_type = (
                    DesignationEventType.extended
                    if lifecycle == "extend"
                    else DesignationEventType.resumed
                )
                version_state["status"] = "active"
            else:
                event_type = _EVENT_OF_STEP[step]
                version_state["status"] = step
            event = at(
                new_event(event_type.value, "initiator", version_state, subject=state["id"]),
                moment,
            )
            designation.events.append(event)
            designation.statuses.append(version_state["status"])
            if step != "active":
                for department, measures in sorted(applied.items()):
                    if step == "suspended" and "suspended" in designation.statuses[:-1]:
                        continue
                    for measure in measures:
                        lifted = _times_after(rng, moment, as_of, 0.3)
                        receipts.append(
                            make_receipt(
                                ReceiptEventType.measure_lifted,
                                department,
                                version_state,
                                event,
                                lifted,
                                measure,
                                cause=step,
                                lifted_at=lifted.isoformat(),
                            )
                        )
            if step == "suspended":
                for department, answered_at in sorted(designation.answered.items())[:2]:
                    later = max(answered_at, moment) + timedelta(minutes=5)
                    if later <= as_of:
                        receipts.append(
                            make_receipt(
                                ReceiptEventType.received, department, version_state, event, later
                            )
                        )
        designation.state = version_state
        designations.append(designation)
    kept, gone = designations[:count], designations[count:]
    resent = [
        at(
            new_event(
                r.kind.value, f"responder-{r.department}", r.data, subject=r.data["designation_id"]
            ),
            r.envelope.time,
        )
        for r in rng.sample(receipts, 6)
    ]
    repeated = [r.envelope for r in rng.sample(receipts, 4)] + [kept[1].events[0]]
    early = {d.id for d in kept[2:5]}
    return Scenario(document, as_of, kept, receipts, gone, early, resent, repeated)


# ---------------------------------------------------------------------------------------------
# The expected figures


@dataclass(frozen=True)
class OwedFact:
    designation: Designation
    department: str
    measure: str | None
    answered_at: datetime | None
    overdue_from: datetime


def owed_facts(scenario: Scenario, by_measure: bool) -> list[OwedFact]:
    facts = []
    for designation in scenario.designations:
        answered = first_received(scenario, designation.id)
        for department, (workdays, measures) in designation.owing.items():
            due = overdue_from(designation.reached_at, workdays)
            for measure in measures if by_measure else [None]:
                facts.append(
                    OwedFact(designation, department, measure, answered.get(department), due)
                )
    return facts


def first_received(scenario: Scenario, designation_id: str) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for receipt in scenario.receipts:
        if (
            receipt.kind is ReceiptEventType.received
            and receipt.data["designation_id"] == designation_id
        ):
            recorded = datetime.fromisoformat(receipt.data["recorded_at"])
            if receipt.department not in first or recorded < first[receipt.department]:
                first[receipt.department] = recorded
    return first


def _owed_key(fact: OwedFact, group_by: Sequence[str], regions: dict[str, str]) -> tuple[Any, ...]:
    values = {
        "department": fact.department,
        "region": regions.get(fact.department),
        "list_type": fact.designation.state["list_type"],
        "memorandum": fact.designation.state["memorandum_code"],
        "measure": fact.measure,
        "month": month(fact.designation.reached_at),
    }
    return tuple(values[d] for d in group_by)


_RECEIPT_FIGURE = {
    ReceiptEventType.measure_applied: "applied",
    ReceiptEventType.measure_not_applicable: "not_applicable",
    ReceiptEventType.measure_lifted: "lifted",
    ReceiptEventType.enforcement: "enforcements",
}


def expected_figures(
    scenario: Scenario, group_by: Sequence[str], as_of: datetime | None = None
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """key (values of `group_by`) -> every figure, computed from the generated data."""
    as_of = as_of or scenario.as_of
    regions = {d["code"]: d["region"] for d in scenario.document["departments"]}
    known = {d.id: d for d in scenario.designations}
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    seconds: dict[tuple[Any, ...], list[float]] = {}

    def row(key: tuple[Any, ...]) -> dict[str, Any]:
        return rows.setdefault(
            key,
            dict.fromkeys(
                (
                    "owed",
                    "acknowledged",
                    "answered_late",
                    "overdue",
                    "waiting",
                    "applied",
                    "not_applicable",
                    "lifted",
                    "enforcements",
                ),
                0,
            ),
        )

    for fact in owed_facts(scenario, "measure" in group_by):
        if fact.designation.reached_at > as_of:
            continue
        key = _owed_key(fact, group_by, regions)
        figures = row(key)
        figures["owed"] += 1
        if fact.answered_at is not None and fact.answered_at <= as_of:
            figures["acknowledged"] += 1
            figures["answered_late"] += fact.answered_at >= fact.overdue_from
            delay = (fact.answered_at - fact.designation.reached_at).total_seconds()
            seconds.setdefault(key, []).append(max(0.0, delay))
        elif as_of >= fact.overdue_from:
            figures["overdue"] += 1
        else:
            figures["waiting"] += 1
    for receipt in scenario.receipts:
        figure = _RECEIPT_FIGURE.get(receipt.kind)
        if figure is None or datetime.fromisoformat(receipt.data["recorded_at"]) > as_of:
            continue
        designation = known.get(receipt.data["designation_id"])
        values = {
            "department": receipt.department,
            "region": regions.get(receipt.department),
            "list_type": designation.state["list_type"] if designation else None,
            "memorandum": designation.state["memorandum_code"] if designation else None,
            "measure": receipt.data.get("measure_code"),
            "month": month(receipt.occurred_at),
        }
        row(tuple(values[d] for d in group_by))[figure] += 1
    for key, figures in rows.items():
        owed = figures["owed"]
        figures["response_rate"] = round(figures["acknowledged"] / owed, 4) if owed else None
        median = percentile(seconds.get(key, []), 0.5)
        p90 = percentile(seconds.get(key, []), 0.9)
        figures["median_response_seconds"] = None if median is None else round(median, 3)
        figures["p90_response_seconds"] = None if p90 is None else round(p90, 3)
    return rows


def expected_overdue(scenario: Scenario, as_of: datetime) -> dict[str, set[str]]:
    """department -> designation ids unanswered past their deadline at `as_of`."""
    overdue: dict[str, set[str]] = {}
    for fact in owed_facts(scenario, by_measure=False):
        answered = fact.answered_at is not None and fact.answered_at <= as_of
        if fact.designation.reached_at <= as_of and not answered and as_of >= fact.overdue_from:
            overdue.setdefault(fact.department, set()).add(fact.designation.id)
    return overdue


def expected_initiators(scenario: Scenario) -> dict[str, dict[str, int]]:
    exits = {"repaired", "revoked", "corrected", "expired"}
    rows: dict[str, dict[str, int]] = {}
    for designation in scenario.designations:
        initiator = designation.state["initiating_department"]
        figures = rows.setdefault(
            initiator,
            {
                "designations": 0,
                "active": 0,
                "suspended": 0,
                "repaired": 0,
                "revoked": 0,
                "corrected": 0,
                "expired": 0,
                "exits": 0,
                "objections_upheld": 0,
            },
        )
        status = designation.statuses[-1]
        previous = designation.statuses[-2] if len(designation.statuses) > 1 else None
        figures["designations"] += 1
        figures[status] += 1
        figures["exits"] += status in exits
        figures["objections_upheld"] += status == "corrected" or (
            status == "revoked" and previous == "suspended"
        )
    return rows
