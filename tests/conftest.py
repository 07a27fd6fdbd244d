"""Shared fixtures: the real infrastructure, started once per test session when needed."""

from __future__ import annotations

import pytest

from jointcredit.infra.manager import InfraStatus
from tests.support.auth import TestAuthority
from tests.support.infra import ensure_infra


@pytest.fixture(scope="session")
def infra() -> InfraStatus:
    return ensure_infra()


@pytest.fixture(scope="session")
def database_url(infra: InfraStatus) -> str:
    assert infra.database_url
    return infra.database_url


@pytest.fixture(scope="session")
def bootstrap(infra: InfraStatus) -> str:
    assert infra.kafka_bootstrap_servers
    return infra.kafka_bootstrap_servers


@pytest.fixture(scope="session")
def authority(tmp_path_factory: pytest.TempPathFactory) -> TestAuthority:
    return TestAuthority(tmp_path_factory.mktemp("authority"))
