"""agent principal

Revision ID: 0c3f7a2d91b4
Revises: 5b07868cd91e
Create Date: 2026-12-03 10:25:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0c3f7a2d91b4"
down_revision = "5b07868cd91e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Agents registered before have none: the first principal to register
    # one of them again becomes its owner.
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("principal", sa.String(length=128), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("principal")
