"""The master store's schema migrations.

python -m master.store.migrate revision "add a column"   # after editing models.py
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from master.store.models import Base
from offer import sqlmigrate

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine) -> None:
    sqlmigrate.upgrade(engine, MIGRATIONS)


if __name__ == "__main__":
    sqlmigrate.revision_cli(MIGRATIONS, Base.metadata, "master.store.migrate")
