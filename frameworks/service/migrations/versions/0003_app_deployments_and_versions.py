"""app deployments and versions

Revision ID: 76d3e4388b14
Revises: 5c1d8e0b7a42
Create Date: 2026-12-03 16:49:20.385318
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "76d3e4388b14"
down_revision = "5c1d8e0b7a42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Apps deployed before: their deployment counts as complete (2), and
    # offer-service records their spec as revision 1 when it loads them
    # (revision 0: none recorded yet).
    op.create_table(
        "app_versions",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("deployed_at", sa.Float(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", "revision"),
    )
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("deploy_state", sa.Integer(), server_default="2", nullable=False)
        )
        batch_op.add_column(
            sa.Column("deploy_started_at", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("deploy_progress_at", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("deploy_most_ready", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("deploy_reason", sa.Text(), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_column("deploy_reason")
        batch_op.drop_column("deploy_most_ready")
        batch_op.drop_column("deploy_progress_at")
        batch_op.drop_column("deploy_started_at")
        batch_op.drop_column("deploy_state")
        batch_op.drop_column("revision")

    op.drop_table("app_versions")
