"""The catalogue versions, memorandum drafts, API clients and signing keys.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = True, now: bool = False) -> sa.Column[Any]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if now else None,
    )


def upgrade() -> None:
    op.create_table(
        "catalogue_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        _timestamp("published_at", nullable=False, now=True),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
    )
    op.create_table(
        "memorandum_drafts",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("base_version", sa.Integer, nullable=True),
        sa.Column("base", sa.JSON, nullable=True),
        sa.Column("content", sa.JSON, nullable=False),
        _timestamp("created_at", nullable=False, now=True),
        _timestamp("updated_at", nullable=False, now=True),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("roles", ARRAY(sa.String(32)), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(300), nullable=False),
        _timestamp("created_at", nullable=False, now=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _timestamp("deleted_at"),
        sa.Column("deleted_by", sa.String(200), nullable=True),
    )
    op.create_index("api_clients_department", "api_clients", ["department_code"])
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_pem", sa.Text, nullable=True),
        sa.Column("encrypted", sa.Boolean, nullable=False),
        sa.Column("public_jwk", sa.JSON, nullable=False),
        _timestamp("created_at", nullable=False, now=True),
        _timestamp("signs_from", nullable=False),
        _timestamp("signs_until"),
        _timestamp("retire_after"),
        _timestamp("retired_at"),
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
    op.drop_index("api_clients_department", table_name="api_clients")
    op.drop_table("api_clients")
    op.drop_table("memorandum_drafts")
    op.drop_table("catalogue_versions")
