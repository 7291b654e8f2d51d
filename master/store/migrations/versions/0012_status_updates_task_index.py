"""status updates indexed by task

Revision ID: 3f7a2c9e5d14
Revises: 8c4e1b7d2a93
Create Date: 2026-12-03 17:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "3f7a2c9e5d14"
down_revision = "8c4e1b7d2a93"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Pruning ended tasks deletes their updates by task: without this, each
    # batch would scan every update of the framework.
    with op.batch_alter_table("status_updates", schema=None) as batch_op:
        batch_op.create_index("ix_status_updates_task", ["framework_id", "task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_status_updates_task")
