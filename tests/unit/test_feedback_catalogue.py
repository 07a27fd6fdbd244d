"""Following catalogue versions: N+1 applies to N; a gap (or nothing held) reads the registry."""

from __future__ import annotations

import pytest

from services.feedback.handlers.catalogue import CatalogueBehind, next_catalogue
from shared.catalogue import Catalogue
from shared.events.catalogue import CatalogueChange, CatalogueVersionPublished
from tests.support.events import seed_document

pytestmark = pytest.mark.unit


def _version(version: int, **active: bool) -> CatalogueVersionPublished:
    document = seed_document()
    changes = [
        CatalogueChange(
            entity="department",
            action="changed",
            code=code,
            value={
                **next(d for d in document["departments"] if d["code"] == code),
                "active": value,
            },
        )
        for code, value in active.items()
    ]
    return CatalogueVersionPublished(version=version, changes=tuple(changes))


class _Registry:
    def __init__(self, version: int) -> None:
        self.version = version
        self.reads = 0

    async def fetch(self) -> Catalogue:
        self.reads += 1
        return Catalogue.from_document(seed_document(), self.version)


async def test_the_next_version_applies_without_the_registry() -> None:
    registry = _Registry(9)
    held = Catalogue.from_document(seed_document(), 1)
    after = await next_catalogue(held, _version(2, commerce=False), registry.fetch)
    assert after is not None
    assert after.version == 2
    assert not after.departments["commerce"].active
    assert registry.reads == 0


async def test_old_and_repeated_versions_change_nothing() -> None:
    registry = _Registry(9)
    held = Catalogue.from_document(seed_document(), 3)
    assert await next_catalogue(held, _version(3), registry.fetch) is None
    assert await next_catalogue(held, _version(2), registry.fetch) is None
    assert registry.reads == 0


async def test_a_gap_reads_the_registry() -> None:
    registry = _Registry(5)
    held = Catalogue.from_document(seed_document(), 2)
    after = await next_catalogue(held, _version(5), registry.fetch)
    assert after is not None
    assert after.version == 5
    assert registry.reads == 1


async def test_nothing_held_and_a_later_version_reads_the_registry() -> None:
    registry = _Registry(4)
    after = await next_catalogue(None, _version(4), registry.fetch)
    assert after is not None
    assert after.version == 4


async def test_a_registry_behind_the_announced_version_is_retried() -> None:
    with pytest.raises(CatalogueBehind):
        await next_catalogue(None, _version(6), _Registry(5).fetch)
