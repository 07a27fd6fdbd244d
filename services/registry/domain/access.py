"""Who may change what in the registry.

The platform administrator is an `admin` client of the platform's administrative department
(the coordinating credit office, `fgw` by default, PLATFORM_ADMIN_DEPARTMENT): it alone edits
the catalogue, rotates keys, and manages clients of every department. Any other department's
`admin` client manages its own department's clients only.
"""

from __future__ import annotations

from shared.auth.principal import Principal, Role


def is_platform_admin(principal: Principal, platform_department: str) -> bool:
    return Role.admin in principal.roles and principal.department_code == platform_department


def may_manage_clients_of(
    principal: Principal, department_code: str, platform_department: str
) -> bool:
    return Role.admin in principal.roles and (
        principal.department_code == department_code
        or principal.department_code == platform_department
    )
