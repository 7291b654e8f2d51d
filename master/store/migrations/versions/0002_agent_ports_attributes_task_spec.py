"""Agent ports and attributes; a task's spec stored whole as protobuf JSON.

Existing task rows are converted from the old `container` column, so no
task is lost by the upgrade.

Revision ID: cf3e037efeea
Revises: e3a824bc9ead
Create Date: 2026-11-28 08:07:31.771832
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "cf3e037efeea"
down_revision = "e3a824bc9ead"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch_op:
        batch_op.add_column(sa.Column("ports", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("spec", sa.Text(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT framework_id, task_id, name, cpus, mem, disk, container FROM tasks")
    ).fetchall()
    for framework_id, task_id, name, cpus, mem, disk, container in rows:
        old = json.loads(container) if isinstance(container, str) else container
        spec = {
            "task_id": task_id,
            "name": name,
            "resources": {"cpus": cpus, "mem": mem, "disk": disk},
            "container": {
                "image": old.get("image", ""),
                "command": old.get("command", []),
                "env": old.get("env", {}),
            },
            "kill_grace_seconds": old.get("kill_grace_seconds", 0.0),
        }
        conn.execute(
            sa.text("UPDATE tasks SET spec = :spec WHERE framework_id = :f AND task_id = :t"),
            {"spec": json.dumps(spec), "f": framework_id, "t": task_id},
        )

    with op.batch_alter_table("tasks") as batch_op:
        batch_op.alter_column("spec", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("container")


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("container", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.drop_column("spec")
    with op.batch_alter_table("agents") as batch_op:
        batch_op.drop_column("attributes")
        batch_op.drop_column("ports")
