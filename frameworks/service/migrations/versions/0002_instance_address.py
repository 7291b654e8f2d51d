"""instance address

Revision ID: 5c1d8e0b7a42
Revises: 3f2335254c41
Create Date: 2026-12-03 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5c1d8e0b7a42"
down_revision = "3f2335254c41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Instances placed before agents advertised addresses have none: links
    # to them carry their hostname, as they always did.
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("address")
