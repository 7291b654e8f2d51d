"""agent reservations

Revision ID: 8c4e1b7d2a93
Revises: 5a1c8e3f9b02
Create Date: 2026-12-18 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8c4e1b7d2a93"
down_revision = "5a1c8e3f9b02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Agents stored before reservations had none: {} until they register
    # again (static ones) or someone reserves (dynamic ones).
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("static_reservations", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(
            sa.Column("dynamic_reservations", sa.JSON(), server_default="{}", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("dynamic_reservations")
        batch_op.drop_column("static_reservations")
