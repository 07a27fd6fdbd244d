"""Settings of the initiator service."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings


class InitiatorSettings(ServiceSettings):
    service_name: str = "initiator"
    database_name: str | None = "initiator"
    consumer_group: str = Field(
        "initiator", description="consumer group of the catalogue and re-publish request consumer"
    )
    publication_workdays: int = Field(
        7,
        ge=0,
        description="working days from a decision to its publication (公示): seeds 000 §17, "
        "001 §二(五)2(1) and 004 §三2 all say 7个工作日",
    )
    objection_answer_workdays: int = Field(
        5,
        ge=1,
        description="working days the initiating department has to answer an objection (异议); "
        "the seeds say only 在规定时间内 (001 §二(三)3), so this is the operator's figure",
    )
    repair_answer_workdays: int = Field(
        5, ge=1, description="working days to decide a credit repair (信用修复) application"
    )
    expiry_interval_s: float = Field(
        30.0, gt=0, description="how often the scheduler looks for designations past period end"
    )
    expiry_batch_size: int = Field(500, ge=1, description="designations expired per transaction")
    import_batch_size: int = Field(1000, ge=1, description="import rows per transaction")
    import_max_bytes: int = Field(
        2 * 1024**3, ge=1, description="largest accepted import file (bytes)"
    )
    import_spool_dir: Path | None = Field(
        None, description="where uploads are kept while imported (default: the system temp dir)"
    )
    import_stale_after_s: float = Field(
        120.0, gt=0, description="an import without progress this long is marked interrupted"
    )
    republish_batch_size: int = Field(1000, ge=1, description="designations per re-publish batch")
    republish_poll_interval_s: float = Field(
        1.0, gt=0, description="fallback poll of pending re-publish requests"
    )
    catalogue_fetch_interval_s: float = Field(
        5.0, gt=0, description="retry interval while no catalogue is held (GET REGISTRY_URL)"
    )
    catalogue_refresh_interval_s: float = Field(
        300.0, gt=0, description="how often the registry is asked for a newer catalogue"
    )
    idempotency_retention_hours: float = Field(
        72.0, gt=0, description="how long Idempotency-Key answers are replayed"
    )
