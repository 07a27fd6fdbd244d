"""Whether the catalogue admits a designation: memorandum, list type, subject types, department."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.catalogue import Catalogue, SubjectType


@dataclass(frozen=True)
class Violation:
    """A field that contradicts the catalogue; `field` is the API's name for it."""

    field: str
    message: str


@dataclass(frozen=True)
class Admission:
    violations: tuple[Violation, ...] = ()
    forbidden: str | None = None
    """Why the department may not designate under this memorandum (an HTTP 403)."""

    @property
    def admitted(self) -> bool:
        return not self.violations and self.forbidden is None


def admit(
    catalogue: Catalogue,
    department: str,
    memorandum_code: str,
    list_type: str,
    subject_kind: str,
    person_roles: Sequence[str] = (),
) -> Admission:
    memorandum = catalogue.memoranda.get(memorandum_code)
    if memorandum is None:
        return Admission(
            (
                Violation(
                    "memorandum_code",
                    f"no memorandum {memorandum_code!r} in catalogue version {catalogue.version}",
                ),
            )
        )
    violations: list[Violation] = []
    if list_type != memorandum.list_type:
        violations.append(
            Violation(
                "list_type",
                f"memorandum {memorandum.code!r} is a {memorandum.list_type} list, not {list_type}",
            )
        )
    if SubjectType(subject_kind) not in memorandum.subject_types:
        kinds = ", ".join(t.value for t in memorandum.subject_types)
        violations.append(
            Violation(
                "subject.kind",
                f"memorandum {memorandum.code!r} designates only: {kinds}",
            )
        )
    reachable = {t for m in catalogue.memoranda_triggered(memorandum_code) for t in m.subject_types}
    for index, role in enumerate(person_roles):
        if SubjectType(role) not in reachable:
            violations.append(
                Violation(
                    f"responsible_persons.{index}.role",
                    f"no measure of memorandum {memorandum.code!r} reaches a {role}",
                )
            )
    forbidden = None
    if department not in memorandum.designating_departments:
        forbidden = (
            f"department {department!r} is not a designating department of memorandum "
            f"{memorandum.code!r} ({', '.join(memorandum.designating_departments)})"
        )
    return Admission(tuple(violations), forbidden)
