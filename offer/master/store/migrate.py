"""Brings a database's schema to the current version with alembic.

python -m offer.master.store.migrate revision "add a column"   # after editing models.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Applies every migration the database lacks (a new one gets them all)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def new_revision(message: str) -> None:
    """Writes a migration for the difference between models.py and head."""
    engine = create_engine("sqlite://")
    upgrade(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m offer.master.store.migrate revision "what changed"')
    new_revision(sys.argv[2])
