"""Schema migrations, with alembic, for the project's SQL stores (the
master's and offer-service's): each has a `migrations/` folder whose env.py
runs on the connection handed over here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine


def config(migrations: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    return cfg


def upgrade(engine: Engine, migrations: Path) -> None:
    """Applies every migration the database lacks (a new one gets them all)."""
    cfg = config(migrations)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def new_revision(migrations: Path, message: str) -> None:
    """Writes a migration for the difference between the models and head."""
    engine = create_engine("sqlite://")
    upgrade(engine, migrations)
    cfg = config(migrations)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)
