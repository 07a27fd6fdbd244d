"""Months in Asia/Shanghai, and when a month's typical-cases report (典型案例) is due.

Seed 002 (衡水市 implementation opinions, citing 衡社信办〔2016〕4号) asks every county and key
department to send representative cases 于每月8日前 to the credit office: a month's cases are due
on the 8th of the following month.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from services.feedback.domain.obligations import SHANGHAI, as_aware

TYPICAL_CASES_DUE_DAY = 8
TYPICAL_CASES_BASIS = (
    "衡水市守信联合激励和失信联合惩戒实施意见(衡社信办〔2016〕4号):"
    "典型案例材料于每月8日前报送市信用办"
)
MONTH_PATTERN = r"^(2[01][0-9]{2})-(0[1-9]|1[0-2])$"
"""Months the platform reports on: 2000-01 to 2199-12, ASCII digits."""
_MONTH = re.compile(MONTH_PATTERN)


def month_of(moment: datetime) -> str:
    """'YYYY-MM' of the moment in Asia/Shanghai."""
    return as_aware(moment).astimezone(SHANGHAI).strftime("%Y-%m")


def parse_month(text: str) -> date:
    """The first day of a 'YYYY-MM' month; ValueError otherwise."""
    found = _MONTH.fullmatch(text)
    if not found:
        raise ValueError(f"{text!r} is not a month written YYYY-MM")
    return date(int(found[1]), int(found[2]), 1)


def next_month(first_day: date) -> date:
    if first_day.month == 12:
        return date(first_day.year + 1, 1, 1)
    return date(first_day.year, first_day.month + 1, 1)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of the month as instants in Asia/Shanghai."""
    first = parse_month(month)
    start = datetime.combine(first, time(), SHANGHAI)
    return start, datetime.combine(next_month(first), time(), SHANGHAI)


def typical_cases_due(month: str) -> date:
    return next_month(parse_month(month)).replace(day=TYPICAL_CASES_DUE_DAY)
