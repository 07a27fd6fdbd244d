"""What changed between two catalogue versions, and the key its event is published under."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.registry.domain.catalogue import CatalogueState
from services.registry.domain.records import MeasureRecord, Record
from shared.events.catalogue import WHOLE_CATALOGUE_KEY, CatalogueChange


def changes_between(old: CatalogueState, new: CatalogueState) -> tuple[CatalogueChange, ...]:
    """Departments, then memoranda, then measures; within each: additions and changes in the
    new version's order, then removals in the old version's order."""
    changes: list[CatalogueChange] = []
    for entity, before, after in (
        ("department", old.departments, new.departments),
        ("memorandum", old.memoranda, new.memoranda),
        ("measure", old.measures, new.measures),
    ):
        changes.extend(_table_changes(entity, before, after))
    return tuple(changes)


def _table_changes(
    entity: str, before: Mapping[str, Record], after: Mapping[str, Record]
) -> list[CatalogueChange]:
    changes: list[CatalogueChange] = []
    for code, record in after.items():
        previous = before.get(code)
        if previous is None:
            changes.append(_change(entity, "added", record))
        elif previous != record:
            changes.append(_change(entity, "changed", record))
    changes.extend(
        _change(entity, "removed", record) for code, record in before.items() if code not in after
    )
    return changes


def _change(entity: str, action: str, record: Record) -> CatalogueChange:
    memorandum = record.memorandum if isinstance(record, MeasureRecord) else None
    value: dict[str, Any] | None = None if action == "removed" else record.as_value()
    return CatalogueChange.model_validate(
        {
            "entity": entity,
            "action": action,
            "code": record.code,
            "memorandum_code": memorandum,
            "value": value,
        }
    )


def event_key(changes: tuple[CatalogueChange, ...]) -> str:
    """Always `catalogue`: every version lands in one partition, so consumers read them in order.

    Keying by memorandum would spread versions over partitions, and a consumer could see
    version N+1 before N and have to fetch the gap from the REST API.
    """
    del changes
    return WHOLE_CATALOGUE_KEY


def change_counts(changes: tuple[CatalogueChange, ...]) -> dict[str, int]:
    counts = {"added": 0, "changed": 0, "removed": 0}
    for change in changes:
        counts[change.action] += 1
    return counts
