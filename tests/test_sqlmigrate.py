"""A database another program wrote is refused, untouched, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.migration import MigrationContext

from frameworks.batch import migrate as batch_migrate
from frameworks.service import migrate as service_migrate
from master.store import migrate as master_migrate
from offer import sqlmigrate


def _revision(url: str) -> str | None:
    engine = sqlmigrate.create_engine(url)
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@pytest.mark.parametrize("other", [batch_migrate.MIGRATIONS, master_migrate.MIGRATIONS])
def test_another_programs_database_is_refused_untouched(db_url: str, other: Path) -> None:
    url = db_url
    sqlmigrate.open_engine(url, service_migrate.MIGRATIONS).dispose()
    written = _revision(url)
    with pytest.raises(sqlmigrate.ForeignSchemaError, match="another program's database"):
        sqlmigrate.open_engine(url, other)
    assert _revision(url) == written


def test_a_daemon_on_another_programs_database_says_so_and_exits(db_url: str) -> None:
    url = db_url
    sqlmigrate.open_engine(url, service_migrate.MIGRATIONS).dispose()
    done = subprocess.run(
        [sys.executable, "-m", "master.cli", "--db", url, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("offer-master: ") and "Traceback" not in done.stderr
    assert "each need their own --db" in done.stderr
