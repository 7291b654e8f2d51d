"""offer-service's schema migrations.

python -m frameworks.service.migrate revision "add a column"   # after editing store.py
"""

from __future__ import annotations

from sqlalchemy import Engine

from frameworks.service.store import MIGRATIONS, ServiceBase
from offer import sqlmigrate

__all__ = ["MIGRATIONS", "upgrade"]


def upgrade(engine: Engine) -> None:
    sqlmigrate.upgrade(engine, MIGRATIONS)


if __name__ == "__main__":
    sqlmigrate.revision_cli(MIGRATIONS, ServiceBase.metadata, "frameworks.service.migrate")
