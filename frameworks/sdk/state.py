"""A framework's own durable state in SQL (SQLite by default), through
SQLAlchemy: what offer-service's and offer-batch's stores build on.

    class Base(DeclarativeBase): ...
    class Meta(MetaRow, Base): ...          # the `meta` table: key -> value
    class Store(FrameworkState):
        def __init__(self, url: str) -> None:
            super().__init__(url, MIGRATIONS, Meta)

`FrameworkState` opens the engine with the schema brought up to date by the
framework's alembic migrations (offer/sqlmigrate.py), keeps the framework
id in the meta table (it is a `FrameworkIdStore` for `Framework`), and
writes rows as upserts, each call one transaction. Its methods block: run
them in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from offer import sqlmigrate
from offer.sqlupsert import upsert

__all__ = ["FrameworkState", "MetaRow"]

FRAMEWORK_ID = "framework_id"


class MetaRow:
    """The columns of the `meta` table (key -> value); mix it into a model of
    the framework's declarative base."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class FrameworkState:
    """The framework's database at `url`, migrated on opening (see the module
    docstring); `meta` is its model mixing in `MetaRow`."""

    def __init__(self, url: str, migrations: Path, meta: type[MetaRow]) -> None:
        self._engine = sqlmigrate.open_engine(url, migrations)
        self._meta = meta

    def read_framework_id(self, session: Session) -> str:
        """The saved framework id ("" if none yet), read in `session` (so that
        a store's load reads it with the rest, in one transaction)."""
        row = session.get(self._meta, FRAMEWORK_ID)
        return row.value if row is not None else ""

    def save_framework_id(self, framework_id: str) -> None:
        """Durable when it returns."""
        row = self._meta()
        row.key, row.value = FRAMEWORK_ID, framework_id
        self.upsert([row])

    def upsert(self, rows: Iterable[object]) -> None:
        """Writes ORM instances (see offer/sqlupsert.py) in one transaction,
        replacing rows with the same primary key."""
        with self._engine.begin() as connection:
            upsert(connection, rows)
