"""The master store's schema migrations.

python -m master.store.migrate revision "add a column"   # after editing models.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

from master.store.models import Base
from offer import sqlmigrate

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    return sqlmigrate.config(MIGRATIONS)


def upgrade(engine: Engine) -> None:
    sqlmigrate.upgrade(engine, MIGRATIONS)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m master.store.migrate revision "what changed"')
    sqlmigrate.new_revision(MIGRATIONS, Base.metadata, sys.argv[2])
