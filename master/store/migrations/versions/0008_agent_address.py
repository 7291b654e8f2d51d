"""agent address

Revision ID: 7e2b9c4f1a60
Revises: 0c3f7a2d91b4
Create Date: 2026-12-03 13:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7e2b9c4f1a60"
down_revision = "0c3f7a2d91b4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Agents registered before advertised none: empty until they register
    # again (an agent of today sends its address on every registration).
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("address")
