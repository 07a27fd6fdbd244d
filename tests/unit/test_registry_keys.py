"""Signing-key lifecycle (which key signs, which are published, rotation, retirement) and
client secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.registry.domain.client_secrets import hash_secret, new_secret, secret_matches
from services.registry.domain.signing_keys import (
    KeyTimes,
    due_for_retirement,
    published_keys,
    rotate,
    signing_key,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIFETIME = 3600
MARGIN = 60


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_rotation_keeps_the_old_key_published_until_its_last_token_expired() -> None:
    first = KeyTimes("a", signs_from=T0)
    assert signing_key([first], _at(10)) == first
    rotation = rotate([first], "b", _at(100), token_lifetime_s=LIFETIME, margin_s=MARGIN)
    old = rotation.superseded[0]
    assert old.signs_until == _at(100)
    assert old.retire_after == _at(100 + LIFETIME + MARGIN)
    keys = [old, rotation.new_key]
    assert signing_key(keys, _at(100)) == rotation.new_key
    assert {k.kid for k in published_keys(keys, _at(100 + LIFETIME))} == {"a", "b"}
    assert {k.kid for k in published_keys(keys, _at(100 + LIFETIME + MARGIN))} == {"b"}
    assert due_for_retirement(keys, _at(100 + LIFETIME)) == []
    assert [k.kid for k in due_for_retirement(keys, _at(100 + LIFETIME + MARGIN))] == ["a"]


def test_a_key_published_ahead_signs_only_from_its_start() -> None:
    first = KeyTimes("a", signs_from=T0)
    rotation = rotate(
        [first], "b", _at(0), token_lifetime_s=LIFETIME, margin_s=MARGIN, publish_ahead_s=300
    )
    keys = [*rotation.superseded, rotation.new_key]
    assert signing_key(keys, _at(299)).kid == "a"  # type: ignore[union-attr]
    assert signing_key(keys, _at(300)).kid == "b"  # type: ignore[union-attr]
    assert {k.kid for k in published_keys(keys, _at(0))} == {"a", "b"}
    assert rotation.superseded[0].retire_after == _at(300 + LIFETIME + MARGIN)


def test_a_later_rotation_retires_keys_past_their_time() -> None:
    first = rotate([KeyTimes("a", T0)], "b", _at(0), token_lifetime_s=10, margin_s=0)
    keys = [*first.superseded, first.new_key]
    second = rotate(keys, "c", _at(20), token_lifetime_s=10, margin_s=0)
    assert [k.kid for k in second.retired] == ["a"]
    assert [k.kid for k in second.superseded] == ["b"]
    assert second.superseded[0].retire_after == _at(30)


def test_secrets_are_salted_hashes_that_only_the_secret_matches() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert secret not in stored
    assert stored.startswith("scrypt$")
    assert hash_secret(secret) != stored
    assert secret_matches(secret, stored)
    assert not secret_matches(secret + "x", stored)
    assert not secret_matches(secret, "garbage")
