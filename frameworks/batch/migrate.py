"""offer-batch's schema migrations.

python -m frameworks.batch.migrate revision "add a column"   # after editing store.py
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from offer import sqlmigrate

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine) -> None:
    sqlmigrate.upgrade(engine, MIGRATIONS)


if __name__ == "__main__":
    from frameworks.batch.store import BatchBase  # the store imports this module

    sqlmigrate.revision_cli(MIGRATIONS, BatchBase.metadata, "frameworks.batch.migrate")
