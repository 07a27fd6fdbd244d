"""Dates are Asia/Shanghai dates: a period ends at the end of its last day there."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def shanghai_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def today() -> date:
    return datetime.now(SHANGHAI).date()
