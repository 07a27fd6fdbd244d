from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.identifiers import (
    CREDIT_CODE_ALPHABET,
    PROVINCE_CODES,
    CreditCode,
    IdentifierError,
    ResidentId,
    SubjectKind,
    credit_code_check_char,
    detect_kind,
    make_credit_code,
    make_resident_id,
    mask_person_name,
    mask_resident_id,
    mask_subject_id,
    normalise,
    organisation_code_check_ok,
    resident_id_check_char,
    validate_credit_code,
    validate_resident_id,
    validate_subject_id,
)

pytestmark = pytest.mark.unit

TODAY = date(2025, 6, 1)

# Published codes; each one's check characters were computed and found valid.
REAL_CREDIT_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "91440300708461136T",
    "914403001922038216",
    "91330100799655058B",
    "91110108551385082Q",
    "11100000000013127D",
]


def _reason(excinfo: pytest.ExceptionInfo[IdentifierError]) -> str:
    return excinfo.value.reason


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_validate(code: str) -> None:
    assert validate_credit_code(code) == code
    assert credit_code_check_char(code[:17]) == code[17]
    assert organisation_code_check_ok(code)


def test_credit_code_check_digit_mismatch() -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_credit_code("91350100M000100Y44")
    assert _reason(excinfo) == "check digit mismatch: expected 3, got 4"


def test_credit_code_wrong_length() -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_credit_code("91350100M000100Y4")
    assert _reason(excinfo) == "length must be 18, got 17"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_credit_code_rejects_excluded_letters(letter: str) -> None:
    code = "91350100" + letter + "000100Y43"
    with pytest.raises(IdentifierError) as excinfo:
        validate_credit_code(code)
    assert _reason(excinfo) == f"invalid character {letter!r} at position 9"


def test_credit_code_region_must_be_digits() -> None:
    first17 = "9135A100M000100Y4"
    with pytest.raises(IdentifierError, match="position 5"):
        validate_credit_code(first17 + credit_code_check_char(first17))


def test_credit_code_normalisation() -> None:
    full_width = "９１３５０１００ｍ０００１００ｙ４３"
    assert validate_credit_code(full_width) == "91350100M000100Y43"
    assert validate_credit_code("\u3000 91350100m000100y43 \t") == "91350100M000100Y43"
    assert validate_credit_code("9135 0100 M000 100Y 43") == "91350100M000100Y43"


def test_normalise() -> None:
    assert normalise("ａｂｃ\u3000１２ x") == "ABC12X"


def test_organisation_check_is_advisory() -> None:
    first17 = "91110000123456780"  # the GB 11714 check for 12345678 is 8
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code) == code
    assert not organisation_code_check_ok(code)
    assert not organisation_code_check_ok("not a code")


def test_check_char_helpers_reject_bad_input() -> None:
    with pytest.raises(IdentifierError):
        credit_code_check_char("91350100M000100Y")
    with pytest.raises(IdentifierError):
        resident_id_check_char("1101051949123100A")


def test_gb11643_example_id() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    assert validate_resident_id("11010519491231002x", today=TODAY) == "11010519491231002X"


def test_resident_id_valid_and_normalised() -> None:
    rid = make_resident_id("440305", date(1985, 12, 31), 42)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in rid)
    assert validate_resident_id(full_width, today=TODAY) == rid
    assert validate_resident_id(f" {rid[:6]}\u3000{rid[6:]} ", today=TODAY) == rid


def test_resident_id_check_digit_mismatch() -> None:
    rid = make_resident_id()
    wrong = "0" if rid[-1] != "0" else "1"
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(rid[:17] + wrong, today=TODAY)
    assert _reason(excinfo) == f"check digit mismatch: expected {rid[-1]}, got {wrong}"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("11010519491231002", "length must be 18, got 17"),
        ("1101051949123100XX", "invalid character 'X' at position 17"),
        ("1101051949A231002X", "invalid character 'A' at position 11"),
    ],
)
def test_resident_id_shape(raw: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(raw, today=TODAY)
    assert _reason(excinfo) == reason


def _with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


@pytest.mark.parametrize(
    ("birth", "reason"),
    [
        ("20230230", "birth date 20230230 is not a real date"),
        ("20230229", "birth date 20230229 is not a real date"),
        ("19901301", "birth date 19901301 is not a real date"),
        ("18991231", "birth year 1899 is before 1900"),
        ("20250602", "birth date is in the future"),
    ],
)
def test_resident_id_bad_birth_dates(birth: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(_with_check(f"110101{birth}123"), today=TODAY)
    assert _reason(excinfo) == reason


def test_resident_id_leap_day_and_today_are_fine() -> None:
    validate_resident_id(_with_check("11010120240229123"), today=TODAY)
    validate_resident_id(_with_check("11010120250601123"), today=TODAY)


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "39", "72", "84", "90", "99"])
def test_resident_id_bad_province(province: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        validate_resident_id(_with_check(f"{province}010119900307123"), today=TODAY)
    assert _reason(excinfo) == f"unknown province code {province}"


def test_province_codes() -> None:
    assert len(PROVINCE_CODES) == 5 + 3 + 7 + 6 + 5 + 5 + 5
    assert {"11", "46", "50", "54", "65", "71", "81", "82", "83", "91"} <= PROVINCE_CODES


def test_subject_kind_dispatch_and_detection() -> None:
    rid = make_resident_id()
    assert validate_subject_id(SubjectKind.PERSON, rid) == rid
    assert validate_subject_id(SubjectKind.ORGANISATION, "91350100m000100y43") == (
        "91350100M000100Y43"
    )
    with pytest.raises(IdentifierError):
        validate_subject_id(SubjectKind.ORGANISATION, rid)
    assert detect_kind(rid) is SubjectKind.PERSON
    assert detect_kind(rid.lower()) is SubjectKind.PERSON
    assert detect_kind("91350100M000100Y43") is SubjectKind.ORGANISATION
    assert detect_kind("914403001922038216") is SubjectKind.ORGANISATION
    assert SubjectKind("person") is SubjectKind.PERSON


def test_ambiguous_all_digit_input_is_treated_as_person() -> None:
    ambiguous = "362322198709086409"
    assert validate_credit_code(ambiguous) == ambiguous
    assert validate_resident_id(ambiguous, today=TODAY) == ambiguous
    assert detect_kind(ambiguous) is SubjectKind.PERSON


def test_masking() -> None:
    assert mask_resident_id("110101199003077777") == "110101********7777"
    assert mask_resident_id("short") == "*****"
    assert mask_person_name("张三丰") == "张**"
    assert mask_person_name("李四") == "李*"
    assert mask_person_name("王") == "*"
    assert mask_person_name("") == ""
    assert mask_subject_id(SubjectKind.PERSON, "11010519491231002X") == "110105********002X"
    assert mask_subject_id(SubjectKind.ORGANISATION, "91350100M000100Y43") == ("91350100M000100Y43")


class _Request(BaseModel):
    code: CreditCode
    resident_id: ResidentId


def test_pydantic_types() -> None:
    request = _Request(code="９１３５０１００m000100y43", resident_id="11010519491231002x")
    assert request.code == "91350100M000100Y43"
    assert request.resident_id == "11010519491231002X"
    with pytest.raises(ValidationError) as excinfo:
        _Request(code="91350100M000100Y44", resident_id="11010519491231002X")
    errors = excinfo.value.errors()
    assert errors[0]["loc"] == ("code",)
    assert "check digit mismatch: expected 3, got 4" in errors[0]["msg"]


def test_make_credit_code() -> None:
    assert make_credit_code("M000100Y", region="350100") == "91350100M000100Y43"
    code = make_credit_code("42", registration="1", category="2")
    assert code.startswith("1211000000000042")
    assert organisation_code_check_ok(code)
    with pytest.raises(IdentifierError):
        make_credit_code("123456789")
    with pytest.raises(IdentifierError):
        make_credit_code("I0000000")
    with pytest.raises(IdentifierError):
        make_credit_code("1", region="11000")


def test_make_resident_id() -> None:
    assert make_resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"
    with pytest.raises(IdentifierError):
        make_resident_id(sequence=1000)
    with pytest.raises(IdentifierError):
        make_resident_id(region="990101")


_credit_codes = st.builds(
    make_credit_code,
    serial=st.text(CREDIT_CODE_ALPHABET, min_size=8, max_size=8),
    region=st.text("0123456789", min_size=6, max_size=6),
    registration=st.sampled_from(CREDIT_CODE_ALPHABET),
    category=st.sampled_from(CREDIT_CODE_ALPHABET),
)
_resident_ids = st.builds(
    make_resident_id,
    region=st.tuples(
        st.sampled_from(sorted(PROVINCE_CODES)), st.text("0123456789", min_size=4, max_size=4)
    ).map("".join),
    birth=st.dates(date(1900, 1, 1), TODAY),
    sequence=st.integers(0, 999),
)


@given(_credit_codes)
def test_generated_credit_codes_validate(code: str) -> None:
    assert validate_credit_code(code) == code
    assert organisation_code_check_ok(code)


@given(_credit_codes, st.integers(0, 17), st.sampled_from(CREDIT_CODE_ALPHABET))
def test_any_single_change_breaks_credit_code(code: str, position: int, char: str) -> None:
    assume(code[position] != char)
    with pytest.raises(IdentifierError):
        validate_credit_code(code[:position] + char + code[position + 1 :])


@given(_resident_ids)
def test_generated_resident_ids_validate(rid: str) -> None:
    assert validate_resident_id(rid, today=TODAY) == rid
    assert detect_kind(rid) is SubjectKind.PERSON


@given(_resident_ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_change_breaks_resident_id(rid: str, position: int, char: str) -> None:
    assume(rid[position] != char)
    with pytest.raises(IdentifierError):
        validate_resident_id(rid[:position] + char + rid[position + 1 :], today=TODAY)
