"""A new designation (认定) as validated input, before it has an id and a version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from shared.events.designations import (
    DesignationState,
    DesignationStatus,
    DesignationSubject,
    ListType,
    ResponsiblePerson,
)


@dataclass(frozen=True)
class NewDesignation:
    """Everything the initiating department decided; the department comes from its token."""

    initiating_department: str
    subject: DesignationSubject
    list_type: ListType
    memorandum_code: str
    reason: str
    legal_basis: str
    document_number: str
    evidence: tuple[str, ...]
    decided_at: datetime
    period_start: date
    period_end: date | None
    responsible_persons: tuple[ResponsiblePerson, ...] = ()

    @property
    def natural_key(self) -> tuple[str, str, str]:
        """Never designated twice: (department, 文号, subject id)."""
        return (self.initiating_department, self.document_number, self.subject.id)

    def initial_state(self, designation_id: uuid.UUID) -> DesignationState:
        return DesignationState(
            id=designation_id,
            version=1,
            status=DesignationStatus.active,
            list_type=self.list_type,
            memorandum_code=self.memorandum_code,
            subject=self.subject,
            responsible_persons=self.responsible_persons,
            reason=self.reason,
            legal_basis=self.legal_basis,
            document_number=self.document_number,
            decided_at=self.decided_at,
            period_start=self.period_start,
            period_end=self.period_end,
            initiating_department=self.initiating_department,
        )
