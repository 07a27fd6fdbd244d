"""Subject identifiers: 统一社会信用代码 (GB 32100-2015) and 居民身份证号码 (GB 11643-1999).

Validation, normalisation, masking for publication, pydantic field types and
generators of valid identifiers for tests and demos.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CODE_VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DIGITS = "0123456789"
_CREDIT_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}
_FULL_WIDTH_TO_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
PROVINCE_CODES = frozenset(
    f"{n:02d}"
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
        91,
    )
)
_LENGTH = 18


class IdentifierError(ValueError):
    """An identifier failed validation; `reason` says why in short English."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SubjectKind(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


def normalise(raw: str) -> str:
    """Full-width ASCII to half-width, all whitespace removed, upper-cased."""
    half = raw.translate(_FULL_WIDTH_TO_HALF)
    return "".join(half.split()).upper()


def _only(text: str, allowed: str) -> bool:
    """Whether every character of `text` is in `allowed` (C speed: checks are a hot path)."""
    return not text.strip(allowed)


def _check_shape(code: str, allowed: str, allowed_last: str) -> None:
    if len(code) == _LENGTH and _only(code[:-1], allowed) and _only(code[-1], allowed_last):
        return
    if len(code) != _LENGTH:
        raise IdentifierError(f"length must be {_LENGTH}, got {len(code)}")
    for position, char in enumerate(code, start=1):
        if char not in (allowed_last if position == _LENGTH else allowed):
            raise IdentifierError(f"invalid character {char!r} at position {position}")


def _check_check_char(code: str, expected: str) -> None:
    if code[-1] != expected:
        raise IdentifierError(f"check digit mismatch: expected {expected}, got {code[-1]}")


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) for the first 17 characters."""
    if len(first17) != _LENGTH - 1 or not _only(first17, CREDIT_CODE_ALPHABET):
        raise IdentifierError("need 17 characters from the credit code alphabet")
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def _organisation_check_char(body: str) -> str:
    total = sum(_ORG_CODE_VALUES.index(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(raw: str) -> str:
    """Return the normalised 统一社会信用代码 or raise IdentifierError.

    Only the GB 32100 check character is enforced; see organisation_code_check_ok.
    """
    code = normalise(raw)
    _check_shape(code, CREDIT_CODE_ALPHABET, CREDIT_CODE_ALPHABET)
    if not _only(code[2:8], _DIGITS):
        for position in range(3, 9):
            if code[position - 1] not in _DIGITS:
                raise IdentifierError(
                    f"invalid character {code[position - 1]!r} at position {position}"
                    " (region code must be digits)"
                )
    _check_check_char(code, credit_code_check_char(code[:17]))
    return code


def organisation_code_check_ok(code: str) -> bool:
    """Whether positions 9-17 carry a valid GB 11714 organisation-code check digit.

    Advisory only, never used to reject: no authoritative source guarantees it for
    every issued code, and local registries are known to have issued codes that
    deviate from the standard (e.g. pre-2016 Xiamen codes with a wrong position 18),
    so a real, publicly listed code must not be refused on this ground.
    """
    code = normalise(code)
    if len(code) != _LENGTH or any(c not in CREDIT_CODE_ALPHABET for c in code):
        return False
    return _organisation_check_char(code[8:16]) == code[16]


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != _LENGTH - 1 or not _only(first17, _DIGITS):
        raise IdentifierError("need 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _birth_date(digits: str, today: date) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise IdentifierError(f"birth date {digits} is not a real date") from None
    if born.year < 1900:
        raise IdentifierError(f"birth year {born.year} is before 1900")
    if born > today:
        raise IdentifierError("birth date is in the future")
    return born


def validate_resident_id(raw: str, today: date | None = None) -> str:
    """Return the normalised 居民身份证号码 or raise IdentifierError."""
    code = normalise(raw)
    _check_shape(code, _DIGITS, _DIGITS + "X")
    if code[:2] not in PROVINCE_CODES:
        raise IdentifierError(f"unknown province code {code[:2]}")
    _birth_date(code[6:14], today or date.today())
    _check_check_char(code, resident_id_check_char(code[:17]))
    return code


def validate_subject_id(kind: SubjectKind, raw: str) -> str:
    """Validate an identifier of the given kind."""
    if kind is SubjectKind.PERSON:
        return validate_resident_id(raw)
    return validate_credit_code(raw)


def detect_kind(raw: str) -> SubjectKind:
    """Guess the kind: a valid resident ID is a person, anything else an organisation.

    An all-digit credit code can also pass every resident-ID check; such input
    resolves to PERSON so that it is masked rather than published.
    """
    try:
        validate_resident_id(raw)
    except IdentifierError:
        return SubjectKind.ORGANISATION
    return SubjectKind.PERSON


def mask_resident_id(resident_id: str) -> str:
    """Keep the first 6 and last 4 characters; short input is masked entirely."""
    code = normalise(resident_id)
    if len(code) <= 10:
        return "*" * len(code)
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


def mask_person_name(name: str) -> str:
    """Keep the first character: 张三丰 -> 张**; a one-character name is fully masked."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_subject_id(kind: SubjectKind, subject_id: str) -> str:
    """Organisation codes are public and stay as they are; person IDs are masked."""
    if kind is SubjectKind.PERSON:
        return mask_resident_id(subject_id)
    return normalise(subject_id)


def _credit_code_field(value: str) -> str:
    return validate_credit_code(value)


def _resident_id_field(value: str) -> str:
    return validate_resident_id(value)


CreditCode = Annotated[str, AfterValidator(_credit_code_field)]
ResidentId = Annotated[str, AfterValidator(_resident_id_field)]


def make_credit_code(
    serial: str, region: str = "110000", registration: str = "9", category: str = "1"
) -> str:
    """A valid credit code; `serial` (up to 8 characters) is zero-padded to the body."""
    body = normalise(serial).zfill(8)
    first16 = normalise(registration + category + region) + body
    if len(body) != 8 or len(first16) != 16:
        raise IdentifierError("need one registration, one category, 6 region, ≤8 serial chars")
    if any(c not in CREDIT_CODE_ALPHABET for c in first16):
        raise IdentifierError("characters outside the credit code alphabet")
    first17 = first16 + _organisation_check_char(body)
    return validate_credit_code(first17 + credit_code_check_char(first17))


def make_resident_id(
    region: str = "110101", birth: date = date(1990, 3, 7), sequence: int = 123
) -> str:
    """A valid resident ID for the region (6 digits), birth date and sequence (0-999)."""
    if not 0 <= sequence <= 999:
        raise IdentifierError(f"sequence must be 0-999, got {sequence}")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return validate_resident_id(first17 + resident_id_check_char(first17))
