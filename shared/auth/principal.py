"""Who is calling: a department's API client and the roles it was granted."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.web.problems import Problem


class Role(StrEnum):
    admin = "admin"
    initiator = "initiator"
    responder = "responder"
    oversight = "oversight"


@dataclass(frozen=True)
class Principal:
    client_id: str
    department_code: str
    roles: frozenset[Role]

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def require_department(self, department_code: str) -> None:
        """A token of one department never acts for another (403 otherwise)."""
        if self.department_code != department_code:
            raise Problem(
                403,
                f"this token belongs to department {self.department_code!r}; "
                f"it cannot act for {department_code!r}",
                title="Wrong department",
            )
