"""Schema migrations, with alembic, for the project's SQL stores (the
master's and offer-service's): each has a `migrations/` folder whose env.py
runs on the connection handed over here."""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event, text

log = logging.getLogger(__name__)


def config(migrations: Path, metadata: MetaData | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.attributes["metadata"] = metadata
    return cfg


class MissingDriverError(OSError):
    """The database URL names a driver that is not installed: an OSError
    whose message says what to install, so that every daemon says it in one
    line and exits."""


# The optional extra (pyproject.toml) that brings each dialect's driver.
_EXTRAS = {"postgresql": "postgresql"}
_DRIVER_NAMES = {"postgresql": "PostgreSQL"}

# pg_advisory_xact_lock's key for schema upgrades (any 64-bit number other
# locks on the database do not use): the first 8 bytes of sha256 of
# "offer.sqlmigrate.upgrade".
_UPGRADE_LOCK = int.from_bytes(
    hashlib.sha256(b"offer.sqlmigrate.upgrade").digest()[:8], "big", signed=True
)


class ForeignSchemaError(OSError):
    """The database holds a schema these migrations did not write. An
    OSError, as a state file the program cannot use, so that every daemon
    says it in one line and exits."""


def upgrade(engine: Engine, migrations: Path) -> None:
    """Applies every migration the database lacks (a new one gets them all),
    saying so in one line when there was any. Raises ForeignSchemaError for
    another program's database, touching nothing."""
    cfg = config(migrations)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes upgrading one database at once (masters started
            # together) would both create the same tables: each waits for the
            # other's transaction, then finds the schema up to date. SQLite
            # needs no lock: its writers are serialized by the file.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        cfg.attributes["connection"] = connection
        before = MigrationContext.configure(connection).get_current_revision()
        known = {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}
        if before is not None and before not in known:
            raise ForeignSchemaError(
                f"{engine.url.render_as_string(hide_password=True)} holds a schema this "
                f"program did not write (revision {before}): it is another program's "
                "database (offer-master, offer-service and offer-batch each need their own "
                "--db) or a newer version's"
            )
        command.upgrade(cfg, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    if after != before:
        log.info(
            "schema of %s upgraded from %s to %s",
            engine.url.render_as_string(hide_password=True),
            before or "nothing (a new database)",
            after,
        )


def open_engine(
    url: str, migrations: Path, sqlite_pragmas: Sequence[str] = ("journal_mode=WAL",)
) -> Engine:
    """An engine on `url` whose schema is up to date (a new SQLite file and its
    folder are created). On SQLite each connection gets `sqlite_pragmas`: by
    default WAL, so that readers never wait for a writer."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = new_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            for pragma in sqlite_pragmas:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

    upgrade(engine, migrations)
    return engine


def new_engine(url: str) -> Engine:
    """create_engine(url), or MissingDriverError when the URL's driver (such
    as psycopg for postgresql+psycopg://) is not installed."""
    try:
        return create_engine(url)
    except ImportError as err:
        scheme = url.split("://", 1)[0]
        dialect = scheme.split("+", 1)[0]
        driver = _DRIVER_NAMES.get(dialect, dialect)
        extra = _EXTRAS.get(dialect)
        to_install = (
            f"pip install 'offer[{extra}]'" if extra else f"install {err.name or 'its module'}"
        )
        raise MissingDriverError(
            f"--db {scheme}://... needs the {driver} driver: {to_install}"
        ) from err


def revision_cli(migrations: Path, metadata: MetaData, module: str) -> None:
    """`python -m MODULE revision "what changed"`: a migration after a model change."""
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit(f'usage: python -m {module} revision "what changed"')
    new_revision(migrations, metadata, sys.argv[2])


def new_revision(migrations: Path, metadata: MetaData, message: str) -> None:
    """Writes a migration for the difference between `metadata` and head."""
    engine = create_engine("sqlite://")
    upgrade(engine, migrations)
    cfg = config(migrations, metadata)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)


def run_environment() -> None:
    """The body of every store's migrations/env.py: runs the migrations on the
    connection (and against the models) handed over in the config."""
    attributes = context.config.attributes
    context.configure(
        connection=attributes["connection"],
        target_metadata=attributes.get("metadata"),
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
