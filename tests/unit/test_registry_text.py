"""Catalogue text: simplified, NFKC-normalised, single-spaced; lists split at 、 or ;."""

from __future__ import annotations

import pytest

from services.registry.domain.text import (
    TRADITIONAL_TO_SIMPLIFIED,
    join_list,
    normalize_text,
    split_list,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "对严重失信主体，从严审核（国发〔2016〕33号）",
            "对严重失信主体,从严审核(国发〔2016〕33号)",
        ),
        ("  限制  乘坐\u3000飞机 \n", "限制乘坐飞机"),
        ("對嚴重失信主體實施聯合懲戒", "对严重失信主体实施联合惩戒"),
        ("《政府采购法》 第二十二条", "《政府采购法》第二十二条"),
        ("Article  5 of the Law", "Article 5 of the Law"),
        ("ＡＢＣ１２３", "ABC123"),
        ("“守信红名单企业”", "“守信红名单企业”"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected
    assert normalize_text(expected) == expected


def test_split_list_keeps_separators_inside_brackets() -> None:
    assert split_list("发展改革委、税务(国税、地税)；市场监管（工商）;\n民航、") == [
        "发展改革委",
        "税务(国税、地税)",
        "市场监管(工商)",
        "民航",
    ]
    assert split_list("") == []
    assert split_list(join_list(["税务(国税、地税)", "财政"])) == ["税务(国税、地税)", "财政"]


def test_traditional_table_maps_to_simplified_only() -> None:
    traditional = set(TRADITIONAL_TO_SIMPLIFIED)
    simplified = set(TRADITIONAL_TO_SIMPLIFIED.values())
    assert not traditional & simplified
    assert all(t != s for t, s in TRADITIONAL_TO_SIMPLIFIED.items())
