"""Client secrets: generated once, stored only as a salted scrypt hash, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_N, _R, _P = 2**14, 8, 1
_LENGTH = 32
_SCHEME = "scrypt"
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    return secrets.token_hex(12)


def is_client_id(value: str) -> bool:
    return re.fullmatch(CLIENT_ID_PATTERN, value) is not None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash`, all that is needed to check the secret later."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_LENGTH, maxmem=64 * 2**20
    )
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def secret_matches(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.scrypt(
            secret.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=_LENGTH,
            maxmem=64 * 2**20,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


DUMMY_HASH = hash_secret("no client has this secret", salt=b"\0" * 16)
"""Checked against when the client id is unknown, so the answer takes as long either way."""
