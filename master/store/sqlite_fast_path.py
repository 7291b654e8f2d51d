"""SQLite's fast path for the tables a busy master writes most.

Tasks and status updates go as many rows to a statement, and commits that
touch nothing else run on the driver's own connection. Both keep a commit's
rows, transaction and durability exactly as the SQLAlchemy path has them;
they exist for the CPU and the GIL (bench/profiling.md, notes 13 and 15).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

from master.cluster import TaskKey
from master.store import rows
from master.store.models import Base, StatusUpdateRow, TaskRow
from master.store.rows import Values

# Their columns need no conversion on the way to the driver (no JSON).
MANY_ROWS_MODELS = (TaskRow, StatusUpdateRow)
# SQLite's limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER).
_SQLITE_VARIABLES = 32766

_T = TypeVar("_T")


class ManyRowsUpsert:
    """An upsert run as `INSERT ... VALUES (...), (...), ... ON CONFLICT ...`,
    as many rows to a statement as SQLite takes: with executemany sqlite3
    lets go of the GIL around every row, and a busy event loop makes each
    taking it back slow (note 13). Rows are applied in order, so a later
    version of a row in the same commit wins."""

    def __init__(self, engine: Engine, statement: Any, columns: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=engine.dialect, column_keys=list(columns))
        head, values, rest = str(compiled).partition(" VALUES ")
        end = rest.index(")") + 1
        self._head, self._row, self._tail = head + values, rest[:end], rest[end:]
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._per_statement = max(1, _SQLITE_VARIABLES // len(self._names))
        # Columns the rows leave out but the statement names: their defaults.
        table = statement.table
        self._defaults = {n: table.c[n].default.arg for n in self._names if n not in columns}

    def execute(
        self, run: Callable[[str, tuple[Any, ...]], object], rows: Sequence[Values]
    ) -> None:
        """Runs the rows through `run(sql, parameters)`, a driver's or
        SQLAlchemy's way of executing a statement as it is."""
        names, defaults = self._names, self._defaults
        for part in _chunks(rows, self._per_statement):
            sql = self._head + ", ".join([self._row] * len(part)) + self._tail
            run(sql, tuple(row[n] if n in row else defaults[n] for row in part for n in names))


class SQLiteFastPath:
    """Commits on the driver's connection, made and used on the one thread
    that calls `commit` and `close`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._upserts: dict[tuple[type[Base], tuple[str, ...]], ManyRowsUpsert] = {}
        self._driver: PoolProxiedConnection | None = None

    @staticmethod
    def takes(by_model: dict[type[Base], list[Values]]) -> bool:
        """Whether a commit of these rows can run here (with any acks and forgets)."""
        return all(model in MANY_ROWS_MODELS for model in by_model)

    def upsert(self, model: type[Base], columns: tuple[str, ...]) -> ManyRowsUpsert:
        """The many-rows upsert of `columns` into one of MANY_ROWS_MODELS, built once."""
        key = (model, columns)
        if key not in self._upserts:
            statement = rows.upsert(self._engine.dialect.name, model, columns)
            self._upserts[key] = ManyRowsUpsert(self._engine, statement, columns)
        return self._upserts[key]

    def commit(
        self,
        by_model: dict[type[Base], list[Values]],
        acks: list[str],
        forgotten: list[str],
        pruned: Sequence[TaskKey] = (),
    ) -> None:
        """One transaction of the rows, then the acks, then the forgets, then
        the pruned tasks (their acknowledged updates and their rows).
        SQLAlchemy's transaction and execution machinery cost more CPU per
        commit than SQLite's work in it (note 15)."""
        if self._driver is None:
            self._driver = self._engine.raw_connection()
        db = self._driver.driver_connection
        assert db is not None
        db.execute("BEGIN")
        try:
            for model, values in by_model.items():
                self.upsert(model, tuple(values[0])).execute(db.execute, values)
            for part in _chunks(acks, _SQLITE_VARIABLES):
                db.execute(_ack_sql(len(part)), tuple(part))
            for part in _chunks(forgotten, _SQLITE_VARIABLES):
                db.execute(_forget_sql(len(part)), tuple(part))
            for keys in _chunks(pruned, _SQLITE_VARIABLES // 2):
                flat = tuple(v for key in keys for v in key)
                db.execute(_prune_updates_sql(len(keys)), flat)
                db.execute(_prune_tasks_sql(len(keys)), flat)
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ack_sql(count: int) -> str:
    marks = ", ".join(["?"] * count)
    return f"UPDATE {StatusUpdateRow.__tablename__} SET acknowledged = 1 WHERE uuid IN ({marks})"


def _prune_updates_sql(count: int) -> str:
    pairs = ", ".join(["(?, ?)"] * count)
    return (
        f"DELETE FROM {StatusUpdateRow.__tablename__} WHERE acknowledged = 1 "
        f"AND (framework_id, task_id) IN (VALUES {pairs})"
    )


def _prune_tasks_sql(count: int) -> str:
    pairs = ", ".join(["(?, ?)"] * count)
    return f"DELETE FROM {TaskRow.__tablename__} WHERE (framework_id, task_id) IN (VALUES {pairs})"


def _forget_sql(count: int) -> str:
    marks = ", ".join(["?"] * count)
    return (
        f"DELETE FROM {StatusUpdateRow.__tablename__} WHERE acknowledged = 1 AND uuid IN ({marks})"
    )
