"""instance slots and volume claims

Revision ID: f0d3c29319b7
Revises: 76d3e4388b14
Create Date: 2026-12-03 19:11:13.016344
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0d3c29319b7"
down_revision = "76d3e4388b14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Instances launched before: no slot (-1), as instances of apps without
    # named volumes have; no app had named volumes, so no claim is missing.
    op.create_table(
        "volume_claims",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("claimed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", "slot"),
    )
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot", sa.Integer(), server_default="-1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("slot")

    op.drop_table("volume_claims")
