"""Memorandum drafts: edited freely, checked against the catalogue when published (then locked)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain.catalogue import CatalogueState, Issue, catalogue_issues
from services.registry.domain.records import MeasureRecord, MemorandumRecord


class DraftContent(BaseModel):
    """A memorandum and the complete list of its measures, as they will be published."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    memorandum: MemorandumRecord
    measures: tuple[MeasureRecord, ...] = Field((), max_length=1000)

    def as_value(self) -> dict[str, Any]:
        return {
            "memorandum": self.memorandum.as_value(),
            "measures": [m.as_value() for m in self.measures],
        }


def content_issues(content: DraftContent) -> list[Issue]:
    """What is wrong inside the draft itself, whatever the catalogue holds."""
    issues: list[Issue] = []
    seen: set[str] = set()
    code = content.memorandum.code
    for measure in content.measures:
        if measure.memorandum != code:
            issues.append(
                Issue(
                    "measure",
                    measure.code,
                    "memorandum",
                    f"a measure of this draft belongs to memorandum {code!r}",
                )
            )
        if measure.code in seen:
            issues.append(Issue("measure", measure.code, "code", "code used twice in the draft"))
        seen.add(measure.code)
    return issues


def apply_draft(state: CatalogueState, content: DraftContent) -> tuple[CatalogueState, list[Issue]]:
    """The catalogue with the draft published, and every reason it cannot be."""
    issues = content_issues(content)
    own = content.memorandum.code
    for measure in content.measures:
        other = state.measures.get(measure.code)
        if other is not None and other.memorandum != own:
            issues.append(
                Issue(
                    "measure",
                    measure.code,
                    "code",
                    f"code already used by a measure of memorandum {other.memorandum!r}",
                )
            )
    published = state.with_memorandum(content.memorandum, content.measures)
    issues.extend(catalogue_issues(published))
    return published, issues


def is_stale(state: CatalogueState, code: str, base: dict[str, Any] | None) -> bool:
    """The published memorandum changed since the draft was opened from `base`."""
    return state.bundle(code) != base
