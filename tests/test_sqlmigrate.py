"""A database another program wrote is refused, untouched, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from frameworks.batch import migrate as batch_migrate
from frameworks.service import migrate as service_migrate
from master.store import migrate as master_migrate
from offer import sqlmigrate
from tests.support.postgres import PostgresServer


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


def test_masters_upgrading_one_postgresql_database_at_once_all_start(
    postgres: PostgresServer,
) -> None:
    """Processes upgrading a new database together (masters started at once)
    take turns: every one opens it, and the schema is made once. (Without
    the advisory lock, some of six fail on a duplicate table.)"""
    url = postgres.new_database()
    opener = (
        "import sys\n"
        "from master.store import migrate\n"
        "from offer import sqlmigrate\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "sqlmigrate.open_engine(sys.argv[1], migrate.MIGRATIONS).dispose()\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", opener, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    # Imported, all of them: then they upgrade together.
    assert all(child.stdout and child.stdout.readline() == "ready\n" for child in children)
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    errors = [child.communicate(timeout=60)[1] for child in children]
    assert [child.returncode for child in children] == [0] * 6, errors
    engine = sqlmigrate.create_engine(url)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    head = ScriptDirectory.from_config(sqlmigrate.config(master_migrate.MIGRATIONS))
    assert revision == head.get_current_head()


@pytest.mark.parametrize(
    ("program", "module"),
    [
        ("offer-master", "master.cli"),
        ("offer-service", "frameworks.service.cli"),
        ("offer-batch", "frameworks.batch.cli"),
    ],
)
def test_a_postgresql_url_without_its_driver_names_the_extra(program: str, module: str) -> None:
    """psycopg hidden from the daemon's imports, as where it was never
    installed: the daemon says in one line what to install, and exits."""
    hide_psycopg = (
        "import importlib.abc, runpy, sys\n"
        "class NoPsycopg(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'psycopg':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoPsycopg())\n"
        "sys.argv[0] = sys.argv[1]\n"
        "del sys.argv[1]\n"
        "runpy.run_module(sys.argv[0], run_name='__main__')\n"
    )
    url = "postgresql+psycopg://postgres@127.0.0.1:1/state"
    done = subprocess.run(
        [sys.executable, "-c", hide_psycopg, module, "--db", url, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"{program}: --db postgresql+psycopg://... needs the PostgreSQL driver: "
        "pip install 'offer[postgresql]'\n"
    )
