"""leadership

Revision ID: 3d8a5f0c2e71
Revises: 7e2b9c4f1a60
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3d8a5f0c2e71"
down_revision = "7e2b9c4f1a60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    leadership = op.create_table(
        "leadership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=128), server_default="", nullable=False),
        sa.Column("address", sa.String(length=255), server_default="", nullable=False),
        sa.Column("renewed_at", sa.Float(), nullable=False),
        sa.Column("lease_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The one row, made here so that elections only ever update it (two
    # masters inserting it at once would race).
    op.bulk_insert(
        leadership,
        [
            {
                "id": 1,
                "epoch": 0,
                "holder": "",
                "address": "",
                "renewed_at": 0.0,
                "lease_seconds": 0.0,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("leadership")
