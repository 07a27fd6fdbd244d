"""The in-memory check index (应查必查): subject id → this department's measures in force.

Built for a million designations: each subject's entry is one `bytes` object of packed
records (designation id, version, measure-set number, period as date ordinals, and for a
responsible person the organisation's id). The measure sets — which memorandum, list type,
role and measures a record stands for — are interned: a few hundred at most, shared by every
record, and re-bound to the current catalogue whenever it changes. A check is one dict lookup
and the decoding of that subject's few records; no SQL.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.responder.domain.held import HeldDesignation, TargetState
from shared.catalogue import Catalogue, Measure

_RECORD = struct.Struct("<16sIHII")
OPEN_END = 0xFFFFFFFF
_MAX_SETS = 0xFFFF

CheckEntry = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MeasureSetKey:
    """What one record stands for: the designation's memorandum and list type, the role of
    the subject checked, and the measures that reach it."""

    memorandum_code: str
    list_type: str
    role: str
    measure_codes: tuple[str, ...]


class _MeasureView:
    __slots__ = ("fields", "scenarios")

    def __init__(self, measure: Measure) -> None:
        self.scenarios = frozenset(measure.scenarios)
        self.fields: dict[str, Any] = {
            "measure_code": measure.code,
            "measure_title": measure.title,
            "measure_memorandum_code": measure.memorandum,
            "content": measure.content,
            "legal_basis": measure.legal_basis,
            "binding": measure.binding,
            "category": measure.category,
            "scenarios": list(measure.scenarios),
        }


class _ResolvedSet:
    __slots__ = ("key", "measures", "memorandum_title", "via_organisation")

    def __init__(self, key: MeasureSetKey, catalogue: Catalogue | None) -> None:
        self.key = key
        self.via_organisation = key.role != "subject"
        memorandum = catalogue.memoranda.get(key.memorandum_code) if catalogue else None
        self.memorandum_title = memorandum.title if memorandum else ""
        measures = catalogue.measures if catalogue else {}
        self.measures = tuple(
            _MeasureView(measures[code]) for code in key.measure_codes if code in measures
        )


@dataclass(frozen=True, slots=True)
class IndexRecord:
    """One record decoded (for tests and diagnostics)."""

    designation_id: uuid.UUID
    version: int
    measures: MeasureSetKey
    start: int
    end: int
    organisation_id: str | None


class CheckIndex:
    def __init__(self) -> None:
        self._entries: dict[str, bytes] = {}
        self._set_numbers: dict[MeasureSetKey, int] = {}
        self._sets: list[_ResolvedSet] = []
        self._catalogue: Catalogue | None = None
        self.loaded = False

    def __len__(self) -> int:
        """Subjects with at least one record."""
        return len(self._entries)

    def bind(self, catalogue: Catalogue) -> None:
        """Answer with this catalogue's measure texts from now on."""
        self._catalogue = catalogue
        self._sets = [_ResolvedSet(resolved.key, catalogue) for resolved in self._sets]

    def set_number(self, key: MeasureSetKey) -> int:
        number = self._set_numbers.get(key)
        if number is None:
            if len(self._sets) >= _MAX_SETS:
                raise OverflowError("more distinct measure sets than the index can number")
            number = len(self._sets)
            self._set_numbers[key] = number
            self._sets.append(_ResolvedSet(key, self._catalogue))
        return number

    def record(
        self,
        designation_id: uuid.UUID,
        version: int,
        key: MeasureSetKey,
        period_start: date,
        period_end: date | None,
        organisation_id: str | None = None,
    ) -> bytes:
        return self.pack(
            designation_id,
            version,
            self.set_number(key),
            period_start,
            period_end,
            None if key.role == "subject" else organisation_id or "",
        )

    @staticmethod
    def pack(
        designation_id: uuid.UUID,
        version: int,
        set_number: int,
        period_start: date,
        period_end: date | None,
        organisation_id: str | None,
    ) -> bytes:
        """One record; `organisation_id` only (and always) for a set of a responsible person."""
        packed = _RECORD.pack(
            designation_id.bytes,
            version,
            set_number,
            period_start.toordinal(),
            period_end.toordinal() if period_end else OPEN_END,
        )
        if organisation_id is None:
            return packed
        organisation = organisation_id.encode()
        return packed + bytes((len(organisation),)) + organisation

    def add(self, subject_id: str, record: bytes) -> None:
        current = self._entries.get(subject_id)
        self._entries[subject_id] = record if current is None else current + record

    def set_entry(self, subject_id: str, packed: bytes) -> None:
        """Replace the subject's whole entry with `packed` (b"": nothing in force)."""
        if packed:
            self._entries[subject_id] = packed
        else:
            self._entries.pop(subject_id, None)

    def replace(
        self,
        designation_id: uuid.UUID,
        old_subjects: Iterable[str],
        records: Iterable[tuple[str, bytes]],
    ) -> None:
        """Drop the designation's records from `old_subjects`, then add its new records."""
        key = designation_id.bytes
        for subject_id in set(old_subjects):
            current = self._entries.get(subject_id)
            if current is None:
                continue
            kept = b"".join(
                current[start:end]
                for start, end, record_key in self._spans(current)
                if record_key != key
            )
            if kept:
                self._entries[subject_id] = kept
            else:
                del self._entries[subject_id]
        for subject_id, record in records:
            self.add(subject_id, record)

    def _spans(self, packed: bytes) -> Iterator[tuple[int, int, bytes]]:
        offset = 0
        size = _RECORD.size
        while offset < len(packed):
            start = offset
            key = packed[offset : offset + 16]
            number = int.from_bytes(packed[offset + 20 : offset + 22], "little")
            offset += size
            if self._sets[number].via_organisation:
                offset += 1 + packed[offset]
            yield start, offset, key

    def in_force(
        self, subject_id: str, today: int, scenario: str | None = None
    ) -> list[CheckEntry]:
        """The measures in force on day `today` (an ordinal) for the subject."""
        packed = self._entries.get(subject_id)
        if packed is None:
            return []
        found: list[CheckEntry] = []
        offset = 0
        size = _RECORD.size
        while offset < len(packed):
            raw_id, version, number, start, end = _RECORD.unpack_from(packed, offset)
            offset += size
            resolved = self._sets[number]
            organisation = None
            if resolved.via_organisation:
                length = packed[offset]
                organisation = packed[offset + 1 : offset + 1 + length].decode()
                offset += 1 + length
            if start > today or end < today:
                continue
            key = resolved.key
            common = {
                "designation_id": str(uuid.UUID(bytes=raw_id)),
                "designation_version": version,
                "memorandum_code": key.memorandum_code,
                "memorandum_title": resolved.memorandum_title,
                "list_type": key.list_type,
                "role": key.role,
                "organisation_id": organisation,
                "period_start": date.fromordinal(start).isoformat(),
                "period_end": None if end == OPEN_END else date.fromordinal(end).isoformat(),
            }
            for measure in resolved.measures:
                if scenario is None or scenario in measure.scenarios:
                    found.append(measure.fields | common)
        return found

    def records(self) -> Iterator[tuple[str, IndexRecord]]:
        for subject_id, packed in self._entries.items():
            for start, _, _ in self._spans(packed):
                raw_id, version, number, first, last = _RECORD.unpack_from(packed, start)
                resolved = self._sets[number]
                organisation = None
                if resolved.via_organisation:
                    offset = start + _RECORD.size
                    organisation = packed[offset + 1 : offset + 1 + packed[offset]].decode()
                yield (
                    subject_id,
                    IndexRecord(
                        uuid.UUID(bytes=raw_id), version, resolved.key, first, last, organisation
                    ),
                )

    def snapshot(self) -> dict[str, list[IndexRecord]]:
        """Every record by subject, in a stable order (to compare two indexes)."""
        result: dict[str, list[IndexRecord]] = {}
        for subject_id, record in self.records():
            result.setdefault(subject_id, []).append(record)
        return {
            subject: sorted(found, key=lambda r: (r.designation_id.bytes, r.measures.role))
            for subject, found in sorted(result.items())
        }


def records_for(index: CheckIndex, held: HeldDesignation) -> list[tuple[str, bytes]]:
    """The index records of a designation version: one per measure-target in force."""
    return [
        (
            target.id,
            index.record(
                held.id,
                held.version,
                MeasureSetKey(
                    held.memorandum_code, held.list_type, target.role, target.measure_codes
                ),
                held.period_start,
                held.period_end,
                None if target.role == "subject" else held.subject_id,
            ),
        )
        for target in held.targets
        if target.state is TargetState.in_force
    ]
