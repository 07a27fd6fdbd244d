"""Reading the subject id a business system checks: either kind, normalised."""

from __future__ import annotations

from typing import Literal

from shared.identifiers import (
    IdentifierError,
    normalise,
    validate_credit_code,
    validate_resident_id,
)

SubjectKindName = Literal["organisation", "person"]


def parse_subject_id(raw: str) -> tuple[str, SubjectKindName]:
    """The normalised id and its kind; IdentifierError saying why it is neither kind."""
    if len(raw) > 64:
        raise IdentifierError("longer than any subject identifier (18 characters)")
    code = normalise(raw)
    if not code[:17].isdigit():
        return validate_credit_code(code), "organisation"
    try:
        return validate_resident_id(code), "person"
    except IdentifierError as as_person:
        try:
            return validate_credit_code(code), "organisation"
        except IdentifierError:
            raise as_person from None
