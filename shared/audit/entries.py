"""An audit entry, its canonical form and its link in the chain.

`hash = sha256(previous_hash \n sequence \n at (µs since 1970) \n body)`, hex, where `body` is
the canonical JSON (sorted keys, no whitespace) of the other fields. The database computes it
as it appends (it alone knows the sequence and the time); verifying recomputes it here. The
change is stored as the canonical JSON text it was hashed as (not JSONB, which re-orders keys
and re-spells numbers), so verifying re-hashes exactly the stored text.
"""

from __future__ import annotations

import getpass
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

from shared.auth.principal import Principal

GENESIS_HASH = "0" * 64
"""The previous hash of a database's first entry."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Actor:
    """Who acted: `actor` names them (a client id, `subject:<id>`, `cli:<os user>`,
    `scheduler`); the rest is what their credential said, when they had one."""

    actor: str
    role: str | None = None
    department: str | None = None
    client: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        roles = ",".join(sorted(role.value for role in principal.roles))
        return cls(principal.client_id, roles, principal.department_code, principal.client_id)


SCHEDULER = Actor("scheduler")


def operator() -> Actor:
    """An operator running a `jointcredit` command on this machine: `cli:<OS user>`."""
    return Actor(f"cli:{getpass.getuser()}", role="operator")


@dataclass(frozen=True)
class Act:
    """What is recorded: `action` like `designation.revoked`, its `target` (an id), and what
    changed (JSON-able: dates, UUIDs, enums and decimals become strings)."""

    actor: Actor
    action: str
    target: str
    change: dict[str, Any]


@dataclass(frozen=True)
class Entry:
    sequence: int
    at: datetime
    actor: str
    role: str | None
    department: str | None
    client: str | None
    request_id: str | None
    action: str
    target: str
    change: str
    previous_hash: str
    hash: str


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-able")


def canonical_change(change: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, UTF-8 kept."""
    options = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS  # column names are str subclasses
    encoded = orjson.dumps(change, default=_plain, option=options)
    # a second pass canonicalises what `default` produced (nested dicts it returned)
    return orjson.dumps(orjson.loads(encoded), option=orjson.OPT_SORT_KEYS).decode()


def entry_body(
    *,
    actor: str,
    role: str | None,
    department: str | None,
    client: str | None,
    request_id: str | None,
    action: str,
    target: str,
    change: str,
) -> str:
    """The canonical JSON of an entry's fields other than its place in the chain."""
    fields = {
        "actor": actor,
        "role": role,
        "department": department,
        "client": client,
        "request_id": request_id,
        "action": action,
        "target": target,
        "change": change,
    }
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode()


def entry_hash(previous_hash: str, sequence: int, at: datetime, body: str) -> str:
    """What `audit_append()` computes in the database (shared/audit/migration_ops.py)."""
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    linked = f"{previous_hash}\n{sequence}\n{micros}\n{body}"
    return hashlib.sha256(linked.encode()).hexdigest()


def expected_hash(entry: Entry) -> str:
    """The hash an entry must carry given its own fields and its previous hash."""
    body = entry_body(
        actor=entry.actor,
        role=entry.role,
        department=entry.department,
        client=entry.client,
        request_id=entry.request_id,
        action=entry.action,
        target=entry.target,
        change=entry.change,
    )
    return entry_hash(entry.previous_hash, entry.sequence, entry.at, body)
