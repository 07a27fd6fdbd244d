"""The demo scenario: what a province's platform sees in its first hour, with expectations.

Every expectation is computed from the catalogue the registry serves (which measures each
department owes for each designation), never typed in by hand, and compared with what the
responders answer and what feedback counts.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.console import Console

from jointcredit.demo.client import PlatformClient, wait_for
from jointcredit.layout import Layout
from shared.catalogue import Catalogue
from shared.events.designations import DesignationSubject, ResponsiblePerson
from shared.identifiers import make_credit_code, make_resident_id

RESPONDING = ("court", "market", "finance")
SILENT = "tax"
"""Active, owes responses, and runs no responder: the department named overdue."""


@dataclass
class Expectation:
    what: str
    expected: Any
    actual: Any

    @property
    def held(self) -> bool:
        return bool(self.expected == self.actual)


@dataclass
class ScenarioOutcome:
    expectations: list[Expectation] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    overdue: dict[str, Any] = field(default_factory=dict)
    overdue_as_of: str = ""
    designations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(e.held for e in self.expectations)

    def expect(self, what: str, expected: Any, actual: Any) -> None:
        self.expectations.append(Expectation(what, expected, actual))


@dataclass
class Tally:
    """Per department, what feedback should count for the scenario's designations."""

    owed: int = 0
    applied: int = 0
    not_applicable: int = 0
    lifted: int = 0
    enforcements: int = 0


def _subjects(rng: random.Random) -> dict[str, tuple[DesignationSubject, list[ResponsiblePerson]]]:
    def org(name: str) -> DesignationSubject:
        code = make_credit_code(f"{rng.randrange(10**8):08d}", region="350100")
        return DesignationSubject(kind="organisation", id=code, name=name)

    def person_id() -> str:
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(15000))
        return make_resident_id("350102", birth, rng.randrange(1000))

    legal_rep = ResponsiblePerson(role="legal_representative", id=person_id(), name="林某某")
    return {
        "debtor_company": (org("福州某建设工程有限公司"), [legal_rep]),
        "debtor_person": (DesignationSubject(kind="person", id=person_id(), name="陈某某"), []),
        "exemplar": (org("福建某纳税信用A级企业有限公司"), []),
        "repaired_company": (org("厦门某贸易有限公司"), []),
    }


def _id_token(
    client: PlatformClient,
    urls: dict[str, str],
    subject: DesignationSubject,
    acting_person_id: str | None = None,
) -> dict[str, str]:
    """The subject proves who it is: an ID token from the development identity provider
    (an organisation's names the person acting for it)."""
    issued = client.call(
        "POST",
        f"{urls['devidp']}/token",
        json={
            "subject_kind": subject.kind,
            "subject_id": subject.id,
            "acting_person_id": acting_person_id,
        },
    )
    return {"Authorization": f"Bearer {issued['id_token']}"}


def _designation_body(
    subject: DesignationSubject,
    persons: list[ResponsiblePerson],
    memorandum: str,
    list_type: str,
    number: str,
    today: date,
) -> dict[str, Any]:
    return {
        "subject": subject.model_dump(),
        "responsible_persons": [p.model_dump() for p in persons],
        "list_type": list_type,
        "memorandum_code": memorandum,
        "reason": "有履行能力而拒不履行生效法律文书确定的义务"
        if list_type == "black"
        else "连续三年纳税信用评价为A级",
        "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》"
        if list_type == "black"
        else "《关于对纳税信用A级纳税人实施联合激励措施的合作备忘录》",
        "document_number": number,
        "evidence": ["执行裁定书" if list_type == "black" else "纳税信用评价结果"],
        "decided_at": datetime.now(UTC).isoformat(),
        "period_start": today.isoformat(),
        "period_end": date(today.year + 2, today.month, 1).isoformat(),
    }


def run_scenario(
    client: PlatformClient, urls: dict[str, str], layout: Layout, console: Console
) -> ScenarioOutcome:
    outcome = ScenarioOutcome()
    registry, initiator, feedback = urls["registry"], urls["initiator"], urls["feedback"]
    rng = random.Random()
    today = datetime.now(UTC).date()

    console.rule("demo scenario (发起–响应–反馈)")
    _activate_demo_departments(client, registry, console)
    document = client.call("GET", f"{registry}/v1/catalogue")
    catalogue = Catalogue.from_document(document, int(document["version"]))
    _wait_for_catalogue(client, urls, catalogue.version)

    subjects = _subjects(rng)
    plan = {
        "debtor_company": ("court", "dishonest_judgment_debtors", "black"),
        "debtor_person": ("court", "dishonest_judgment_debtors", "black"),
        "exemplar": ("tax", "tax_credit_a", "red"),
        "repaired_company": ("court", "dishonest_judgment_debtors", "black"),
    }
    serial = rng.randrange(10**5)
    for name, (department, memorandum, list_type) in plan.items():
        subject, persons = subjects[name]
        number = f"(2026)闽01执{serial}号之{len(outcome.designations) + 1}"
        if list_type == "red":
            number = f"闽税信〔2026〕{serial}号"
        body = _designation_body(subject, persons, memorandum, list_type, number, today)
        created = client.call(
            "POST",
            f"{initiator}/v1/designations",
            as_=department,
            json=body,
            headers={"Idempotency-Key": f"demo-{serial}-{name}"},
        )
        outcome.designations[name] = created
        console.print(
            f"  {department} designated {subject.name} ({list_type} list, {memorandum}): "
            f"{created['id']}, publication due {created['publication_due']}"
        )

    debtor, debtor_persons = subjects["debtor_company"]
    legal_rep = debtor_persons[0]
    _wait_for_responders(client, urls, outcome, catalogue)

    approval = _check(
        client, urls["responder-market"], "market", debtor.id, "administrative_approval"
    )
    expected_approval = _expected_codes(
        catalogue,
        "market",
        "dishonest_judgment_debtors",
        debtor,
        debtor_persons,
        "administrative_approval",
        "subject",
    )
    outcome.expect(
        "market: approval check of the debtor company",
        expected_approval,
        sorted({m["measure_code"] for m in approval["measures"]}),
    )
    bid = _check(client, urls["responder-finance"], "finance", debtor.id, "bidding")
    expected_bid = _expected_codes(
        catalogue,
        "finance",
        "dishonest_judgment_debtors",
        debtor,
        debtor_persons,
        "bidding",
        "subject",
    )
    outcome.expect(
        "finance: bid check of the debtor company",
        expected_bid,
        sorted({m["measure_code"] for m in bid["measures"]}),
    )
    person_check = _check(client, urls["responder-market"], "market", legal_rep.id, None)
    expected_person = _expected_codes(
        catalogue,
        "market",
        "dishonest_judgment_debtors",
        debtor,
        debtor_persons,
        None,
        "legal_representative",
    )
    outcome.expect(
        "market: its legal representative is caught (落实到人)",
        expected_person,
        sorted({m["measure_code"] for m in person_check["measures"]}),
    )
    exemplar, _ = subjects["exemplar"]
    incentive = _check(client, urls["responder-finance"], "finance", exemplar.id, None)
    expected_incentive = _expected_codes(
        catalogue, "finance", "tax_credit_a", exemplar, [], None, "subject"
    )
    outcome.expect(
        "finance: incentives for the red-listed enterprise",
        expected_incentive,
        sorted({m["measure_code"] for m in incentive["measures"]}),
    )
    console.print(
        f"  checks: approval at market {len(approval['measures'])} measures, bid at finance "
        f"{len(bid['measures'])}, legal representative {len(person_check['measures'])}, "
        f"red list at finance {len(incentive['measures'])}"
    )

    enforcements = 0
    for department, check, result in (
        ("market", approval, "不予受理行政许可申请"),
        ("finance", bid, "取消投标资格"),
    ):
        if not check["measures"]:
            continue
        measure = check["measures"][0]
        client.call(
            "POST",
            f"{urls[f'responder-{department}']}/v1/enforcements",
            as_=department,
            json={
                "case_id": f"{department.upper()}-2026-{serial}",
                "business_system": f"{department} 业务系统",
                "scenario": "administrative_approval" if department == "market" else "bidding",
                "measure_code": measure["measure_code"],
                "designation_id": measure["designation_id"],
                "subject_id": debtor.id,
                "outcome": "applied",
                "result": result,
                "amount": 1_200_000.0 if department == "finance" else None,
                "occurred_at": datetime.now(UTC).isoformat(),
            },
        )
        enforcements += 1
    console.print(f"  {enforcements} enforcements recorded (嵌入式联合奖惩)")

    person, _ = subjects["debtor_person"]
    person_designation = outcome.designations["debtor_person"]["id"]
    objection = client.call(
        "POST",
        f"{initiator}/v1/public/objections",
        headers=_id_token(client, urls, person),
        json={
            "designation_id": person_designation,
            "subject_id": person.id,
            "grounds": "案件已执行完毕,申请核实",
        },
    )
    suspended = wait_for(
        "the suspension to reach the court responder",
        lambda: _none_in_force(client, urls["responder-court"], "court", person.id),
    )
    outcome.expect("court: nothing in force while the objection is verified", True, suspended)
    client.call(
        "POST",
        f"{initiator}/v1/objections/{objection['id']}/decision",
        as_="court",
        json={"outcome": "rejected", "note": "经核实,执行未完毕,异议不成立"},
    )
    resumed = wait_for(
        "the resumption to reach the court responder",
        lambda: _some_in_force(client, urls["responder-court"], "court", person.id),
    )
    outcome.expect("court: measures back in force after the objection was rejected", True, resumed)
    console.print("  objection filed by the person: suspended, then rejected and resumed")

    repaired, _ = subjects["repaired_company"]
    clerk = make_resident_id("350203", date(1988, 8, 8), rng.randrange(1000))
    repair = client.call(
        "POST",
        f"{initiator}/v1/public/repairs",
        headers=_id_token(client, urls, repaired, acting_person_id=clerk),
        json={
            "designation_id": outcome.designations["repaired_company"]["id"],
            "subject_id": repaired.id,
            "statement": "已全部履行判决义务并作出信用承诺",
            "evidence": ["履行完毕证明", "信用承诺书"],
        },
    )
    client.call(
        "POST",
        f"{initiator}/v1/repairs/{repair['id']}/decision",
        as_="court",
        json={"approved": True},
    )
    lifted = wait_for(
        "the repair to reach the market responder",
        lambda: _none_in_force(client, urls["responder-market"], "market", repaired.id),
    )
    outcome.expect("market: nothing in force after the credit repair (信用修复)", True, lifted)
    console.print("  credit repair approved: the company left the black list")

    tallies = _expected_tallies(catalogue, plan, subjects, enforcements)
    _compare_with_feedback(client, feedback, tallies, outcome, console)
    return outcome


def _activate_demo_departments(client: PlatformClient, registry: str, console: Console) -> None:
    """Only departments that take part are expected to answer: the demo's, plus one silent one."""
    taking_part = {*RESPONDING, SILENT}
    exported = client.call(
        "GET", f"{registry}/v1/catalogue/export/departments", params={"format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    header, records = rows[0], rows[1:]
    code_at, active_at = header.index("编码"), header.index("启用")
    changed = False
    for record in records:
        wanted = "是" if record[code_at] in taking_part else "否"
        changed |= record[active_at] != wanted
        record[active_at] = wanted
    if not changed:
        return
    out = io.StringIO()
    csv.writer(out).writerows([header, *records])
    answer = client.call(
        "POST",
        f"{registry}/v1/catalogue/import/departments",
        as_="platform_admin",
        params={"mode": "merge"},
        files={"file": ("departments.csv", out.getvalue().encode("utf-8"), "text/csv")},
    )
    console.print(
        f"  registry: departments taking part: {', '.join(sorted(taking_part))} "
        f"(catalogue version {answer['version']}, imported from CSV)"
    )


def _wait_for_catalogue(client: PlatformClient, urls: dict[str, str], version: int) -> None:
    """Responders hold the catalogue version with the demo's active departments."""
    for label, url in urls.items():
        if label.startswith("responder-"):
            department = label.removeprefix("responder-")
            wait_for(
                f"{label} to hold catalogue version {version}",
                _catalogue_probe(client, url, department, version),
            )


def _catalogue_probe(
    client: PlatformClient, url: str, department: str, version: int
) -> Callable[[], bool | None]:
    def probe() -> bool | None:
        status = client.call("GET", f"{url}/v1/status", as_=department)
        return True if (status.get("catalogue_version") or 0) >= version else None

    return probe


def _holds_probe(
    client: PlatformClient, url: str, department: str, designation_id: str
) -> Callable[[], bool | None]:
    def probe() -> bool | None:
        held = client.call(
            "GET", f"{url}/v1/designations/{designation_id}", as_=department, expect=(200, 404)
        )
        return True if isinstance(held, dict) and held.get("version") else None

    return probe


def _check(
    client: PlatformClient, url: str, department: str, subject_id: str, scenario: str | None
) -> dict[str, Any]:
    params = {"scenario": scenario} if scenario else None
    answer: dict[str, Any] = client.call(
        "GET", f"{url}/v1/checks/{subject_id}", as_=department, params=params
    )
    return answer


def _none_in_force(client: PlatformClient, url: str, department: str, subject: str) -> bool | None:
    return True if not _check(client, url, department, subject, None)["measures"] else None


def _some_in_force(client: PlatformClient, url: str, department: str, subject: str) -> bool | None:
    return True if _check(client, url, department, subject, None)["measures"] else None


def _wait_for_responders(
    client: PlatformClient, urls: dict[str, str], outcome: ScenarioOutcome, catalogue: Catalogue
) -> None:
    for department in RESPONDING:
        url = urls[f"responder-{department}"]
        for name, created in outcome.designations.items():
            if department not in catalogue.departments_owing(created["memorandum_code"]):
                continue
            wait_for(
                f"{department} to hold designation {name}",
                _holds_probe(client, url, department, str(created["id"])),
                timeout_s=90,
            )


def _expected_codes(
    catalogue: Catalogue,
    department: str,
    memorandum: str,
    subject: DesignationSubject,
    persons: list[ResponsiblePerson],
    scenario: str | None,
    role: str,
) -> list[str]:
    codes = set()
    for measure_outcome in catalogue.measures_for(department, memorandum, subject, persons):
        if scenario and scenario not in measure_outcome.measure.scenarios:
            continue
        if any(target.role == role for target in measure_outcome.targets):
            codes.add(measure_outcome.measure.code)
    return sorted(codes)


def _expected_tallies(
    catalogue: Catalogue,
    plan: dict[str, tuple[str, str, str]],
    subjects: dict[str, tuple[DesignationSubject, list[ResponsiblePerson]]],
    enforcements: int,
) -> dict[str, Tally]:
    """Receipts each department should send, version by version, for the scenario's path."""
    active_versions = {
        "debtor_company": 1,
        "debtor_person": 2,
        "exemplar": 1,
        "repaired_company": 1,
    }
    exits = {"debtor_company": 0, "debtor_person": 1, "exemplar": 0, "repaired_company": 1}
    active = {code for code, d in catalogue.departments.items() if d.active}
    tallies: dict[str, Tally] = {}
    for name, (_, memorandum, _) in plan.items():
        subject, persons = subjects[name]
        for department in sorted(catalogue.departments_owing(memorandum) & active):
            tally = tallies.setdefault(department, Tally())
            tally.owed += 1
            outcomes = catalogue.measures_for(department, memorandum, subject, persons)
            targets = sum(len(o.targets) for o in outcomes)
            unreached = sum(1 for o in outcomes if not o.applicable)
            tally.applied += targets * active_versions[name]
            tally.not_applicable += unreached * active_versions[name]
            tally.lifted += targets * exits[name]
    for department in ("market", "finance")[:enforcements]:
        tallies[department].enforcements += 1
    return tallies


def _compare_with_feedback(
    client: PlatformClient,
    feedback: str,
    tallies: dict[str, Tally],
    outcome: ScenarioOutcome,
    console: Console,
) -> None:
    def settled() -> dict[str, Any] | None:
        summary: dict[str, Any] = client.call(
            "GET", f"{feedback}/v1/reports/summary", as_="oversight"
        )
        rows = {row["department_code"]: row for row in summary["departments"]}
        for department in RESPONDING:
            row = rows.get(department)
            tally = tallies[department]
            if row is None or row["acknowledged"] < tally.owed or row["lifted"] < tally.lifted:
                return None
            if row["enforcements"] < tally.enforcements:
                return None
        return summary

    outcome.summary = wait_for("feedback to count every receipt", settled, timeout_s=90)
    rows = {row["department_code"]: row for row in outcome.summary["departments"]}
    for department, tally in sorted(tallies.items()):
        row = rows.get(department, {})
        answering = department in RESPONDING
        outcome.expect(f"feedback: {department} owed", tally.owed, row.get("owed"))
        outcome.expect(
            f"feedback: {department} acknowledged",
            tally.owed if answering else 0,
            row.get("acknowledged"),
        )
        if answering:
            outcome.expect(f"feedback: {department} applied", tally.applied, row.get("applied"))
            outcome.expect(
                f"feedback: {department} not applicable",
                tally.not_applicable,
                row.get("not_applicable"),
            )
            outcome.expect(f"feedback: {department} lifted", tally.lifted, row.get("lifted"))
            outcome.expect(
                f"feedback: {department} enforcements", tally.enforcements, row.get("enforcements")
            )
    after_deadline = datetime.now(UTC) + timedelta(days=21)
    outcome.overdue_as_of = after_deadline.isoformat(timespec="seconds")
    outcome.overdue = client.call(
        "GET",
        f"{feedback}/v1/overdue",
        as_="oversight",
        params={"as_of": outcome.overdue_as_of},
    )
    named = sorted(_overdue_departments(outcome.overdue))
    outcome.expect("overdue list (通报) after the deadlines", [SILENT], named)
    console.print(f"  feedback settled; overdue after the deadlines: {', '.join(named) or 'none'}")


def _overdue_departments(overdue: Any) -> set[str]:
    departments = overdue.get("departments", []) if isinstance(overdue, dict) else overdue
    return {d["department_code"] for d in departments}
