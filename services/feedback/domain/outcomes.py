"""How a designation's lifecycle counts for its initiating department.

- Exits: the designation left the list — repaired (信用修复), revoked (撤销), corrected (更正) or
  expired.
- Objections upheld (异议成立): corrected (a correction only follows a suspension), or revoked
  when the version just before was the suspension; a revocation of an active designation is the
  department's own decision and is not counted.
"""

from __future__ import annotations

from shared.events.designations import DesignationStatus

EXIT_STATUSES = (
    DesignationStatus.repaired,
    DesignationStatus.revoked,
    DesignationStatus.corrected,
    DesignationStatus.expired,
)
