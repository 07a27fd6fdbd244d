"""What must hold after any fault, read from the databases and the APIs of a FaultPlatform.

The initiator's database is the truth. For every designation and every department that owes it
a response (`Catalogue.departments_owing(memorandum)` ∩ active departments):
- the department's responder holds exactly that designation at the initiator's latest version
  and status, with every measure-target in the state that status implies;
- feedback holds the same version and counts the department as having answered;
- the receipts the responders sent (their outboxes) are exactly the receipts feedback stored,
  each once, and the summary's figures count them once;
- a check at the responder returns exactly the measures the catalogue rule gives for the
  designations in force today.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson

from shared.events.designations import DesignationSubject, ResponsiblePerson
from shared.topics import Topic
from tests.support.events import unbundled
from tests.support.fault_platform import RESPONDERS, FaultPlatform

SHANGHAI = ZoneInfo("Asia/Shanghai")
TARGET_STATE = {"active": "in_force", "suspended": "suspended"}
RECEIPT_KIND = {
    "cn.jointcredit.receipt.received.v1": "received",
    "cn.jointcredit.receipt.measure-applied.v1": "applied",
    "cn.jointcredit.receipt.measure-not-applicable.v1": "not_applicable",
    "cn.jointcredit.receipt.measure-lifted.v1": "lifted",
    "cn.jointcredit.receipt.enforcement.v1": "enforcement",
}


@dataclass(frozen=True)
class Designation:
    id: uuid.UUID
    version: int
    status: str
    memorandum_code: str
    subject: DesignationSubject
    persons: tuple[ResponsiblePerson, ...]
    period_start: date
    period_end: date | None


@dataclass(frozen=True)
class Sent:
    kind: str


@dataclass
class Snapshot:
    designations: dict[uuid.UUID, Designation]
    owed: dict[str, set[uuid.UUID]]
    problems: list[str]
    receipts_sent: int = 0


async def initiator_designations(fp: FaultPlatform) -> dict[uuid.UUID, Designation]:
    rows = await fp.fetch(
        fp.layout.database("initiator"),
        "SELECT id, version, status, memorandum_code, subject_kind, subject_id, subject_name,"
        " responsible_persons, period_start, period_end FROM designations",
    )
    found = {}
    for row in rows:
        persons = _json(row["responsible_persons"])
        found[row["id"]] = Designation(
            row["id"],
            row["version"],
            row["status"],
            row["memorandum_code"],
            DesignationSubject(
                kind=row["subject_kind"], id=row["subject_id"], name=row["subject_name"]
            ),
            tuple(ResponsiblePerson.model_validate(p) for p in persons),
            row["period_start"],
            row["period_end"],
        )
    return found


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def snapshot(fp: FaultPlatform) -> Snapshot:
    """Every invariant, evaluated once; `problems` is empty when all hold."""
    assert fp.catalogue is not None
    designations = await initiator_designations(fp)
    active = {code for code, d in fp.catalogue.departments.items() if d.active}
    owed: dict[str, set[uuid.UUID]] = {d: set() for d in RESPONDERS}
    for designation in designations.values():
        for department in fp.catalogue.departments_owing(designation.memorandum_code) & active:
            owed[department].add(designation.id)
    found = Snapshot(designations, owed, [])
    sent: dict[uuid.UUID, Sent] = {}
    for department in RESPONDERS:
        sent.update(await _check_responder(fp, department, found))
    found.receipts_sent = len(sent)
    await _check_feedback(fp, found, sent)
    return found


async def _check_responder(
    fp: FaultPlatform, department: str, found: Snapshot
) -> dict[uuid.UUID, Sent]:
    database = fp.layout.database("responder", department)
    held = {
        row["id"]: (row["version"], row["status"])
        for row in await fp.fetch(database, "SELECT id, version, status FROM designations")
    }
    targets: dict[uuid.UUID, list[tuple[str, int]]] = defaultdict(list)
    for row in await fp.fetch(
        database, "SELECT designation_id, state, set_by_version FROM measure_targets"
    ):
        targets[row["designation_id"]].append((row["state"], row["set_by_version"]))
    problems = found.problems
    for designation_id in found.owed[department]:
        truth = found.designations[designation_id]
        got = held.get(designation_id)
        if got != (truth.version, truth.status):
            problems.append(
                f"{department}: designation {designation_id} held as {got}, "
                f"initiator has {(truth.version, truth.status)}"
            )
            continue
        wanted = TARGET_STATE.get(truth.status, "lifted")
        for state, version in targets.get(designation_id, []):
            if state != wanted or version > truth.version:
                problems.append(
                    f"{department}: designation {designation_id} ({truth.status}) has a target "
                    f"{state} set by version {version}"
                )
    for designation_id in held.keys() - found.owed[department]:
        problems.append(f"{department}: holds {designation_id}, which it does not owe")
    rows = await fp.fetch(
        database,
        "SELECT event_id, value FROM outbox WHERE topic = $1",
        fp.topic(Topic.RECEIPTS),
    )
    return {
        uuid.UUID(receipt["id"]): Sent(RECEIPT_KIND[receipt["type"]])
        for row in rows
        for receipt in unbundled(_json(row["value"]))
    }


async def _check_feedback(fp: FaultPlatform, found: Snapshot, sent: dict[uuid.UUID, Sent]) -> None:
    database = fp.layout.database("feedback")
    problems = found.problems
    held = {
        row["id"]: (row["version"], row["status"])
        for row in await fp.fetch(database, "SELECT id, version, status FROM designations")
    }
    expected: dict[uuid.UUID, dict[str, bool]] = defaultdict(dict)
    for row in await fp.fetch(
        database,
        "SELECT designation_id, department_code, first_received_at IS NOT NULL AS answered"
        " FROM expectations",
    ):
        expected[row["designation_id"]][row["department_code"]] = row["answered"]
    for designation_id, truth in found.designations.items():
        if held.get(designation_id) != (truth.version, truth.status):
            problems.append(
                f"feedback: designation {designation_id} held as {held.get(designation_id)}, "
                f"initiator has {(truth.version, truth.status)}"
            )
        owing = {d for d in RESPONDERS if designation_id in found.owed[d]}
        answers = expected.get(designation_id, {})
        if set(answers) != owing:
            problems.append(f"feedback: {designation_id} expects {sorted(answers)}, owed {owing}")
        elif not all(answers.values()):
            unanswered = sorted(d for d, ok in answers.items() if not ok)
            problems.append(f"feedback: {designation_id} unanswered by {unanswered}")
    stored = {
        row["receipt_id"]: row["kind"]
        for row in await fp.fetch(database, "SELECT receipt_id, kind FROM receipts")
    }
    missing = sent.keys() - stored.keys()
    unknown = stored.keys() - sent.keys()
    if unknown or missing:
        problems.append(
            f"feedback: {len(stored)} receipts stored, {len(sent)} sent by the responders "
            f"({len(missing)} not stored, {len(unknown)} never sent)"
        )
        return
    if problems:
        return
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(
            f"{fp.url('feedback')}/v1/reports/summary", headers=fp.headers("oversight")
        )
    if response.status_code != 200:
        problems.append(f"feedback summary: {response.status_code} {response.text[:200]}")
        return
    totals = response.json()["totals"]
    kinds = Counter(stored.values())
    pairs = sum(len(ids) for ids in found.owed.values())
    figures = {
        "owed": pairs,
        "acknowledged": pairs,
        "applied": kinds["applied"],
        "not_applicable": kinds["not_applicable"],
        "lifted": kinds["lifted"],
    }
    for name, value in figures.items():
        if totals.get(name) != value:
            problems.append(f"feedback summary: {name} = {totals.get(name)}, expected {value}")


async def check_answers(fp: FaultPlatform, designations: dict[uuid.UUID, Designation]) -> list[str]:
    """Batch checks at every responder for every subject and responsible person, compared with
    what the catalogue rule gives for the designations in force today."""
    assert fp.catalogue is not None
    today = datetime.now(SHANGHAI).date()
    problems: list[str] = []
    targets = sorted(
        {d.subject.id for d in designations.values()}
        | {p.id for d in designations.values() for p in d.persons}
    )
    async with httpx.AsyncClient(timeout=60) as http:
        for department in RESPONDERS:
            expected: dict[str, set[tuple[str, str, int]]] = defaultdict(set)
            for d in designations.values():
                in_force = d.status == "active" and d.period_start <= today
                if not in_force or (d.period_end is not None and d.period_end < today):
                    continue
                if department not in fp.catalogue.departments_owing(d.memorandum_code):
                    continue
                for outcome in fp.catalogue.measures_for(
                    department, d.memorandum_code, d.subject, d.persons
                ):
                    for target in outcome.targets:
                        expected[target.id].add((outcome.measure.code, str(d.id), d.version))
            for label in fp.replica_labels(f"responder-{department}"):
                problems += await _check_replica(http, fp, label, department, targets, expected)
    return problems


async def _check_replica(
    http: httpx.AsyncClient,
    fp: FaultPlatform,
    label: str,
    department: str,
    targets: list[str],
    expected: dict[str, set[tuple[str, str, int]]],
) -> list[str]:
    """One replica's answers for every target: each replica must answer for every designation
    of its department, not only those its share of the consumer group brought."""
    problems: list[str] = []
    for start in range(0, len(targets), 1000):
        chunk = targets[start : start + 1000]
        response = await http.post(
            f"{fp.url(label)}/v1/checks/batch",
            json={"subject_ids": chunk},
            headers=fp.headers(department),
        )
        if response.status_code != 200:
            problems.append(f"{label} check: {response.status_code}")
            continue
        for result in response.json()["results"]:
            got = {
                (m["measure_code"], m["designation_id"], m["designation_version"])
                for m in result["measures"]
            }
            if got != expected.get(result["requested_id"], set()):
                problems.append(
                    f"{label} check {result['requested_id']}: answered {sorted(got)},"
                    f" expected {sorted(expected.get(result['requested_id'], set()))}"
                )
    return problems


async def converged(fp: FaultPlatform, timeout_s: float = 90.0) -> Snapshot:
    """Poll until every invariant holds (including the check answers); fail with what does
    not hold when time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await snapshot(fp)
        if not found.problems:
            found.problems = await check_answers(fp, found.designations)
            if not found.problems:
                return found
        if time.monotonic() > deadline:
            shown = "\n".join(found.problems[:25])
            raise AssertionError(
                f"not converged after {timeout_s}s: {len(found.problems)} problems "
                f"(logs in {fp.state}):\n{shown}"
            )
        await asyncio.sleep(1.0)
