"""offer-service's schema migrations.

python -m offer.frameworks.service.migrate revision "add a column"   # after editing store.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import Engine

from offer import sqlmigrate

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine) -> None:
    sqlmigrate.upgrade(engine, MIGRATIONS)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m offer.frameworks.service.migrate revision "what changed"')
    from offer.frameworks.service.store import ServiceBase  # the store imports this module

    sqlmigrate.new_revision(MIGRATIONS, ServiceBase.metadata, sys.argv[2])
