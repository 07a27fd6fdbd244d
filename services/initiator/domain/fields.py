"""Field rules shared by the JSON API and the bulk import: clean text, identifiers, periods."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from shared.identifiers import (
    IdentifierError,
    SubjectKind,
    validate_credit_code,
    validate_resident_id,
)

NAME_MAX = 200
DOCUMENT_NUMBER_MAX = 200
TEXT_MAX = 2000
EVIDENCE_MAX_ITEMS = 50
EVIDENCE_ITEM_MAX = 500
CONTACT_MAX = 200


_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str, max_length: int) -> str:
    """Trimmed text without control characters; ValueError when empty, too long or unstorable."""
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > max_length:
        raise ValueError(f"at most {max_length} characters, got {len(text)}")
    found = _UNSTORABLE.search(text)
    if found:
        char = found.group()
        if unicodedata.category(char) == "Cs":
            raise ValueError("contains an unpaired surrogate, which is not text")
        raise ValueError(f"contains the control character U+{ord(char):04X}")
    return text


_UNSTORABLE_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""`_UNSTORABLE` as written in a pattern, but for the surrogates JSON text cannot carry alone."""


def clean_text_pattern(max_length: int) -> str:
    """A regular expression of the text `clean_text` accepts (for documents: JSON Schema)."""
    edge, inner = rf"[^\s{_UNSTORABLE_CLASS}]", rf"[^{_UNSTORABLE_CLASS}]"
    return rf"^\s*{edge}(?:{inner}{{0,{max_length - 2}}}{edge})?\s*$"


def storable(value: str, max_length: int) -> str:
    """Any text made safe to store and show: control characters and lone surrogates replaced."""
    return _UNSTORABLE.sub("\ufffd", value)[:max_length]


def document_number(value: str) -> str:
    """文号 in NFKC (full-width brackets and digits folded), inner whitespace collapsed."""
    text = clean_text(value, DOCUMENT_NUMBER_MAX)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def subject_id(kind: str, raw: str) -> str:
    """The normalised 统一社会信用代码 (organisation) or 居民身份证号码 (person)."""
    try:
        if SubjectKind(kind) is SubjectKind.PERSON:
            return validate_resident_id(raw)
        return validate_credit_code(raw)
    except IdentifierError as error:
        label = "居民身份证号码" if kind == SubjectKind.PERSON else "统一社会信用代码"
        raise ValueError(f"not a valid {label}: {error.reason}") from None


def person_id(raw: str) -> str:
    try:
        return validate_resident_id(raw)
    except IdentifierError as error:
        raise ValueError(f"not a valid 居民身份证号码: {error.reason}") from None


EARLIEST = date(1990, 1, 1)
LATEST = date(2199, 12, 31)


def check_day(day: date, name: str) -> date:
    """Dates of decisions and periods lie in a plausible range (and the calendar can count them)."""
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{name} must lie between {EARLIEST} and {LATEST}")
    return day


def check_decided_at(moment: datetime, now: datetime) -> datetime:
    check_day(moment.date(), "decided_at")
    if moment > now + timedelta(days=1):
        raise ValueError("decided_at lies in the future")
    return moment


def check_period(period_start: date, period_end: date | None) -> None:
    if period_end is not None and period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
