"""Dates as the platform reads them: Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def aware(moment: datetime) -> datetime:
    """A naive moment is read as Asia/Shanghai time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def local_date(moment: datetime) -> date:
    """The calendar day of `moment` in Asia/Shanghai."""
    return aware(moment).astimezone(SHANGHAI).date()
