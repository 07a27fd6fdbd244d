"""Settings shared by every service, read from the environment (and the embedded infra's file)."""

from __future__ import annotations

from typing import Any, Literal, Self
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.infra_file import infra_env_file
from shared.stopping import DEFAULT_STOP_TIMEOUT_S
from shared.topics import Topic


class ServiceSettings(BaseSettings):
    """Base of every service's settings class; one field a concern, each documented."""

    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8")

    environment: Literal["development", "test", "production"] = "development"
    service_name: str = Field("jointcredit", description="name in logs, metrics and events")
    database_url: str = Field(description="PostgreSQL URL (postgresql://user:pass@host:port/db)")
    database_name: str | None = Field(
        None, description="database to use on that server, overriding the URL's path"
    )
    database_pool_size: int = 10
    platform_admin_department: str = Field(
        "fgw",
        description="the department whose admin clients administer the platform: the catalogue, "
        "signing keys and every department's clients (the coordinating credit office); they "
        "read every service's audit trail too",
    )
    kafka_bootstrap_servers: str = Field(description="host:port[,host:port]")
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_rebalance_timeout_ms: int = 10_000
    kafka_request_timeout_ms: int = 10_000
    topic_partitions: int = Field(6, description="partitions of topics this service creates")
    outbox_batch_size: int = 500
    outbox_poll_interval_s: float = Field(
        1.0, description="fallback poll when no commit notification arrives"
    )
    outbox_retention_hours: float = Field(
        168.0, description="sent rows are kept this long so that they can be re-published"
    )
    consumer_max_attempts: int = Field(5, description="tries before a message is dead-lettered")
    consumer_backoff_initial_s: float = 0.05
    consumer_backoff_max_s: float = 2.0
    consumer_batch_size: int = 500
    consumer_log_check_interval_s: float = Field(
        10.0,
        gt=0,
        description="how often a consumer checks that the broker still holds the log it read",
    )
    run_relay: bool = Field(True, description="run the outbox relay inside the service process")
    stop_timeout_s: float = Field(
        DEFAULT_STOP_TIMEOUT_S,
        gt=2,
        description="after SIGTERM/SIGINT: how long requests, the batches in hand and the outbox "
        "flush may take before what is left is cancelled and the process exits",
    )
    log_level: str = "INFO"
    topic_prefix: str = Field(
        "", description="prepended to every topic name: several platforms (or tests) on one broker"
    )
    registry_url: str = Field(
        "http://127.0.0.1:8010", description="the registry's base URL (catalogue, keys)"
    )
    auth_jwks_url: str | None = Field(
        None,
        description="where department tokens' public keys are read (http(s):// or file://); "
        "default: REGISTRY_URL/.well-known/jwks.json",
    )
    auth_jwks_cache_s: float = Field(300.0, description="how long the key set is cached")
    http_max_body_bytes: int = Field(
        2**20, ge=1024, description="largest request body accepted (413 above); uploads aside"
    )
    http_max_upload_bytes: int = Field(
        2 * 1024**3,
        ge=1024,
        description="largest multipart upload accepted; upload routes check smaller limits",
    )

    @classmethod
    def load(cls, **overrides: Any) -> Self:
        """Read the environment first, then the embedded infrastructure's recorded settings."""
        path = infra_env_file()
        return cls(_env_file=path if path.exists() else None, **overrides)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.kafka_bootstrap_servers.strip():
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS is empty")
        return self

    def topic(self, topic: Topic) -> str:
        """The topic's name on the broker, with this deployment's prefix."""
        return f"{self.topic_prefix}{topic.value}"

    @property
    def all_topics(self) -> list[str]:
        return [self.topic(topic) for topic in Topic]

    @property
    def async_database_url(self) -> str:
        return to_asyncpg_url(self.database_url, self.database_name)

    @property
    def plain_database_url(self) -> str:
        """The URL in libpq form, for asyncpg connections outside SQLAlchemy."""
        return libpq_url(self.database_url, self.database_name)


def _with_database(url: str, scheme: str, database: str | None) -> str:
    parts = urlsplit(url)
    path = f"/{database}" if database else parts.path
    return urlunsplit((scheme, parts.netloc, path, parts.query, parts.fragment))


def to_asyncpg_url(url: str, database: str | None = None) -> str:
    """The URL SQLAlchemy uses, on the given database of the same server when one is named."""
    return _with_database(url, "postgresql+asyncpg", database)


def libpq_url(url: str, database: str | None = None) -> str:
    """The plain `postgresql://` URL asyncpg connects with."""
    return _with_database(url, "postgresql", database)
