"""The lifecycle of the token signing keys: which one signs, which are published, and rotation.

A key signs from `signs_from` until the next key takes over (`signs_until`). Every token lives
at most the token lifetime, so a superseded key stays published until `signs_until` + lifetime
+ a margin (at least the verifiers' clock leeway); after that no valid token can name it and it
is retired: dropped from the JWKS, its private half erased.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class KeyTimes:
    kid: str
    signs_from: datetime
    signs_until: datetime | None = None
    retire_after: datetime | None = None
    retired_at: datetime | None = None

    def signs_at(self, now: datetime) -> bool:
        return (
            self.retired_at is None
            and self.signs_from <= now
            and (self.signs_until is None or now < self.signs_until)
        )

    def published_at(self, now: datetime) -> bool:
        return self.retired_at is None and (self.retire_after is None or now < self.retire_after)


def signing_key(keys: Iterable[KeyTimes], now: datetime) -> KeyTimes | None:
    """The key that signs now: the latest to have started signing."""
    candidates = [k for k in keys if k.signs_at(now)]
    return max(candidates, key=lambda k: k.signs_from, default=None)


def published_keys(keys: Iterable[KeyTimes], now: datetime) -> list[KeyTimes]:
    return [k for k in keys if k.published_at(now)]


@dataclass(frozen=True)
class Rotation:
    new_key: KeyTimes
    superseded: list[KeyTimes]
    retired: list[KeyTimes]


def rotate(
    keys: Iterable[KeyTimes],
    new_kid: str,
    now: datetime,
    *,
    token_lifetime_s: int,
    margin_s: int,
    publish_ahead_s: int = 0,
) -> Rotation:
    """A new key signing from `now + publish_ahead_s` (published at once), the keys it
    supersedes with their retirement time, and the keys whose retirement time has passed."""
    starts = now + timedelta(seconds=publish_ahead_s)
    retire_after = starts + timedelta(seconds=token_lifetime_s + margin_s)
    superseded = []
    retired = []
    for key in keys:
        if key.retired_at is not None:
            continue
        if key.retire_after is not None and key.retire_after <= now:
            retired.append(replace(key, retired_at=now))
        elif key.signs_until is None or key.signs_until > starts:
            superseded.append(replace(key, signs_until=starts, retire_after=retire_after))
    return Rotation(KeyTimes(new_kid, signs_from=starts), superseded, retired)


def due_for_retirement(keys: Iterable[KeyTimes], now: datetime) -> list[KeyTimes]:
    return [
        replace(k, retired_at=now)
        for k in keys
        if k.retired_at is None and k.retire_after is not None and k.retire_after <= now
    ]
