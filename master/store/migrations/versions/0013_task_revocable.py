"""task revocable flag

Revision ID: 9d2e6a4c7b31
Revises: 3f7a2c9e5d14
Create Date: 2026-12-03 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9d2e6a4c7b31"
down_revision = "3f7a2c9e5d14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A recovered task's resources count as allocated or as lent by this flag
    # alone: reading it from every stored spec would parse them all. Tasks
    # stored before revocable resources existed were none.
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revocable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("revocable")
