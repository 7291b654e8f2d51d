"""Schema migrations, with alembic, for the project's SQL stores (the
master's and offer-service's): each has a `migrations/` folder whose env.py
runs on the connection handed over here."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event

log = logging.getLogger(__name__)


def config(migrations: Path, metadata: MetaData | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.attributes["metadata"] = metadata
    return cfg


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
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            for pragma in sqlite_pragmas:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

    upgrade(engine, migrations)
    return engine


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
