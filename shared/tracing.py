"""W3C trace context carried in a context variable, so logs and events share one trace id."""

from __future__ import annotations

import contextvars
import secrets

_traceparent: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "traceparent", default=None
)


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def parse_traceparent(value: str | None) -> str | None:
    """The value if it is a well-formed version-00 traceparent, else None."""
    if not value:
        return None
    parts = value.strip().split("-")
    if len(parts) != 4 or parts[0] != "00" or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    return value.strip()


def set_traceparent(value: str | None) -> contextvars.Token[str | None]:
    return _traceparent.set(parse_traceparent(value) or new_traceparent())


def reset_traceparent(token: contextvars.Token[str | None]) -> None:
    _traceparent.reset(token)


def current_traceparent() -> str | None:
    return _traceparent.get()


def current_trace_id() -> str | None:
    value = _traceparent.get()
    return value.split("-")[1] if value else None
