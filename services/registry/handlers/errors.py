"""Failures of a registry use case; the HTTP layer turns each into a problem document."""

from __future__ import annotations

from services.registry.domain.sheet_reading import RowError


class NotFound(LookupError):
    """The named thing does not exist (404)."""


class Conflict(RuntimeError):
    """The request does not fit the current state (409)."""


class Rejected(ValueError):
    """The request names something that does not exist or is not allowed here (422)."""


class ImportRejected(ValueError):
    """A catalogue file with errors: nothing of it was imported (422, one error per cell)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the file; nothing was imported")
        self.errors = errors
