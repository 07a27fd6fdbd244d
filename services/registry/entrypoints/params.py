"""Path and query parameters the registry's routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")]
AtVersion = Annotated[
    int | None, Query(ge=1, le=1_000_000, description="a catalogue version; default the latest")
]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000)]
CodePath = Annotated[str, Path(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Search = Annotated[str | None, Query(max_length=100, description="text contained in the record")]
CodeQuery = Annotated[str | None, Query(max_length=64)]
