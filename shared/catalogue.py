"""The measure catalogue (联合奖惩目录清单) as every service reads it, and who owes what.

The registry owns the catalogue; the initiator, responders and feedback hold a copy built from
catalogue events. `measures_for` is the one rule deciding which measures a designation triggers
at a department, so responders (who apply them) and feedback (who expects their receipts) agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.catalogue import CatalogueVersionPublished
from shared.events.designations import DesignationSubject, ListType, ResponsiblePerson

CodeStr = str


class SubjectType(StrEnum):
    """Whom a measure reaches: the subject itself, or a responsible person of an organisation."""

    organisation = "organisation"
    person = "person"
    legal_representative = "legal_representative"
    principal = "principal"
    directly_responsible = "directly_responsible"


class Department(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    code: CodeStr
    name: str
    level: str
    region: str
    kind: str
    active: bool = True


class Memorandum(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    code: CodeStr
    title: str
    list_type: ListType
    legal_basis: str
    designating_departments: tuple[CodeStr, ...]
    signatory_departments: tuple[CodeStr, ...]
    subject_types: tuple[SubjectType, ...]
    applies_to_all: bool = Field(
        False, description="its measures apply to every designation of its list type"
    )


class Measure(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    code: CodeStr
    memorandum: CodeStr
    administrative_unit: CodeStr
    title: str
    reason: str
    legal_basis: str
    implementing_departments: tuple[CodeStr, ...]
    content: str
    evidence: str
    category: str
    binding: Literal["binding", "discretionary"]
    subject_types: tuple[SubjectType, ...]
    scenarios: tuple[str, ...]
    response_deadline_workdays: int = Field(ge=0)


@dataclass(frozen=True)
class Target:
    """One person or organisation a measure reaches in one designation."""

    kind: Literal["organisation", "person"]
    id: str
    role: Literal["subject", "legal_representative", "principal", "directly_responsible"]
    name: str


@dataclass(frozen=True)
class MeasureOutcome:
    """A measure a designation triggers at a department: its targets, or why it reaches none."""

    measure: Measure
    targets: tuple[Target, ...]

    @property
    def applicable(self) -> bool:
        return bool(self.targets)

    @property
    def not_applicable_reason(self) -> str:
        kinds = ", ".join(t.value for t in self.measure.subject_types)
        return f"measure {self.measure.code} reaches only: {kinds}"


Reach = tuple[str, tuple[SubjectType, ...]]
"""A measure code and the subject types it reaches."""


@dataclass(frozen=True)
class CatalogueRevision:
    """What a new catalogue version changes for one department's designations."""

    changed: frozenset[str]
    """memoranda whose designations this department must match again"""
    newly_owed: frozenset[str]
    """the subset this department did not answer before (it holds none of their designations)"""


class Catalogue:
    """An in-memory catalogue at one version, indexed for matching."""

    def __init__(
        self,
        version: int,
        departments: Iterable[Department],
        memoranda: Iterable[Memorandum],
        measures: Iterable[Measure],
    ) -> None:
        self.version = version
        self.departments = {d.code: d for d in departments}
        self.memoranda = {m.code: m for m in memoranda}
        self.measures = {m.code: m for m in measures}
        self._by_memorandum: dict[str, list[Measure]] = {}
        for measure in self.measures.values():
            self._by_memorandum.setdefault(measure.memorandum, []).append(measure)
        self._owing: dict[str, frozenset[str]] = {}
        self._implemented: dict[tuple[str, str], list[tuple[Measure, frozenset[str]]]] = {}
        """a department's measures for a memorandum and whom each reaches (a version never
        changes: computed once per pair, on the first designation that asks)"""

    def memoranda_triggered(self, memorandum_code: str) -> list[Memorandum]:
        """The designation's own memorandum plus the general ones of the same list type."""
        own = self.memoranda.get(memorandum_code)
        if own is None:
            return []
        general = [
            m
            for m in self.memoranda.values()
            if m.applies_to_all and m.list_type == own.list_type and m.code != own.code
        ]
        return [own, *general]

    def candidate_measures(self, memorandum_code: str) -> Iterator[Measure]:
        for memorandum in self.memoranda_triggered(memorandum_code):
            yield from self._by_memorandum.get(memorandum.code, ())

    def departments_owing(self, memorandum_code: str) -> frozenset[str]:
        """Departments that must answer a designation of this memorandum (跟踪问效)."""
        found = self._owing.get(memorandum_code)
        if found is None:
            found = self._owing[memorandum_code] = frozenset(
                department
                for measure in self.candidate_measures(memorandum_code)
                for department in measure.implementing_departments
            )
        return found

    def measures_for(
        self,
        department_code: str,
        memorandum_code: str,
        subject: DesignationSubject,
        responsible_persons: Iterable[ResponsiblePerson] = (),
    ) -> list[MeasureOutcome]:
        """This department's measures for a designation, each with the targets it reaches."""
        persons = tuple(responsible_persons)
        outcomes = []
        for measure, reaches in self._implemented_by(department_code, memorandum_code):
            targets: list[Target] = []
            if subject.kind in reaches:
                targets.append(Target(subject.kind, subject.id, "subject", subject.name))
            if subject.kind == "organisation":
                targets.extend(
                    Target("person", person.id, person.role, person.name)
                    for person in persons
                    if person.role in reaches
                )
            outcomes.append(MeasureOutcome(measure, tuple(targets)))
        return outcomes

    def _implemented_by(
        self, department_code: str, memorandum_code: str
    ) -> list[tuple[Measure, frozenset[str]]]:
        key = (department_code, memorandum_code)
        found = self._implemented.get(key)
        if found is None:
            found = self._implemented[key] = [
                (measure, frozenset(str(t) for t in measure.subject_types))
                for measure in self.candidate_measures(memorandum_code)
                if department_code in measure.implementing_departments
            ]
        return found

    def revision_for(self, department_code: str, earlier: Catalogue) -> CatalogueRevision:
        """Which memoranda's designations reach `department_code` differently here than in
        `earlier`: another set of its measures, or measures reaching other subject types."""
        changed = set()
        newly_owed = set()
        for code in self.memoranda.keys() | earlier.memoranda.keys():
            now = self._reach(department_code, code)
            before = earlier._reach(department_code, code)
            if now != before:
                changed.add(code)
                if now and not before:
                    newly_owed.add(code)
        return CatalogueRevision(frozenset(changed), frozenset(newly_owed))

    def _reach(self, department_code: str, memorandum_code: str) -> frozenset[Reach]:
        return frozenset(
            (measure.code, measure.subject_types)
            for measure, _ in self._implemented_by(department_code, memorandum_code)
        )

    @classmethod
    def from_document(cls, document: dict[str, Any], version: int = 1) -> Catalogue:
        """From the seed file's shape: {departments: [...], memoranda: [...], measures: [...]}."""
        return cls(
            version,
            (Department.model_validate(d) for d in document.get("departments", ())),
            (Memorandum.model_validate(m) for m in document.get("memoranda", ())),
            (Measure.model_validate(m) for m in document.get("measures", ())),
        )

    def applied(self, event: CatalogueVersionPublished) -> Catalogue:
        """The next version. Raises CatalogueGap unless `event` is exactly version + 1."""
        if event.version != self.version + 1:
            raise CatalogueGap(self.version, event.version)
        tables: dict[str, dict[str, Any]] = {
            "department": dict(self.departments),
            "memorandum": dict(self.memoranda),
            "measure": dict(self.measures),
        }
        models: dict[str, type[BaseModel]] = {
            "department": Department,
            "memorandum": Memorandum,
            "measure": Measure,
        }
        for change in event.changes:
            table = tables[change.entity]
            if change.action == "removed":
                table.pop(change.code, None)
            elif change.value is not None:
                table[change.code] = models[change.entity].model_validate(change.value)
        return Catalogue(
            event.version,
            tables["department"].values(),
            tables["memorandum"].values(),
            tables["measure"].values(),
        )

    def as_document(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "departments": [d.model_dump(mode="json") for d in self.departments.values()],
            "memoranda": [m.model_dump(mode="json") for m in self.memoranda.values()],
            "measures": [m.model_dump(mode="json") for m in self.measures.values()],
        }


class CatalogueGap(Exception):
    """A catalogue event skipped versions: read the missing ones from the registry."""

    def __init__(self, held: int, received: int) -> None:
        super().__init__(f"catalogue version {received} arrived while holding {held}")
        self.held = held
        self.received = received
