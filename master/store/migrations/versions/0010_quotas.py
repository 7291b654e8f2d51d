"""quotas

Revision ID: 5a1c8e3f9b02
Revises: 3d8a5f0c2e71
Create Date: 2026-12-14 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5a1c8e3f9b02"
down_revision = "3d8a5f0c2e71"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("role", sa.String(length=128), nullable=False),
        sa.Column("guarantee_cpus", sa.Float(), nullable=False),
        sa.Column("guarantee_mem", sa.Float(), nullable=False),
        sa.Column("guarantee_disk", sa.Float(), nullable=False),
        sa.Column("limit_cpus", sa.Float(), nullable=True),
        sa.Column("limit_mem", sa.Float(), nullable=True),
        sa.Column("limit_disk", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("role"),
    )


def downgrade() -> None:
    op.drop_table("quotas")
