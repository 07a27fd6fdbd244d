"""Filters over one catalogue version (about a hundred records: filtered in memory)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from services.registry.domain.catalogue import CatalogueState
from services.registry.domain.records import DepartmentRecord, MeasureRecord, MemorandumRecord
from services.registry.domain.text import normalize_text

T = TypeVar("T")


def page(items: Iterable[T], limit: int, offset: int) -> tuple[list[T], int]:
    everything = list(items)
    return everything[offset : offset + limit], len(everything)


def _contains(q: str | None, *texts: str) -> bool:
    if not q:
        return True
    needle = normalize_text(q).lower()
    return any(needle in text.lower() for text in texts)


@dataclass(frozen=True)
class DepartmentFilter:
    level: str | None = None
    kind: str | None = None
    region: str | None = None
    active: bool | None = None
    q: str | None = None

    def __call__(self, d: DepartmentRecord) -> bool:
        return (
            (self.level is None or d.level == self.level)
            and (self.kind is None or d.kind == self.kind)
            and (self.region is None or d.region == self.region)
            and (self.active is None or d.active == self.active)
            and _contains(self.q, d.code, d.name)
        )


@dataclass(frozen=True)
class MemorandumFilter:
    list_type: str | None = None
    designating_department: str | None = None
    signatory_department: str | None = None
    subject_type: str | None = None
    applies_to_all: bool | None = None
    q: str | None = None

    def __call__(self, m: MemorandumRecord) -> bool:
        return (
            (self.list_type is None or m.list_type == self.list_type)
            and (
                self.designating_department is None
                or self.designating_department in m.designating_departments
            )
            and (
                self.signatory_department is None
                or self.signatory_department in m.signatory_departments
            )
            and (self.subject_type is None or self.subject_type in m.subject_types)
            and (self.applies_to_all is None or m.applies_to_all == self.applies_to_all)
            and _contains(self.q, m.code, m.title, m.legal_basis)
        )


@dataclass(frozen=True)
class MeasureFilter:
    memorandum: str | None = None
    list_type: str | None = None
    department: str | None = None
    administrative_unit: str | None = None
    category: str | None = None
    binding: str | None = None
    subject_type: str | None = None
    scenario: str | None = None
    seed: str | None = None
    q: str | None = None

    def matcher(self, state: CatalogueState) -> Callable[[MeasureRecord], bool]:
        list_types = {code: m.list_type for code, m in state.memoranda.items()}

        def matches(m: MeasureRecord) -> bool:
            return (
                (self.memorandum is None or m.memorandum == self.memorandum)
                and (self.list_type is None or list_types.get(m.memorandum) == self.list_type)
                and (self.department is None or self.department in m.implementing_departments)
                and (
                    self.administrative_unit is None
                    or m.administrative_unit == self.administrative_unit
                )
                and (self.category is None or m.category == self.category)
                and (self.binding is None or m.binding == self.binding)
                and (self.subject_type is None or self.subject_type in m.subject_types)
                and (self.scenario is None or self.scenario in m.scenarios)
                and (self.seed is None or (m.source is not None and m.source.seed == self.seed))
                and _contains(self.q, m.code, m.title, m.content, m.reason)
            )

        return matches
