"""The state store: durable writes with group commit, and recovery reads.

Writes are snapshotted on the caller's thread, queued, and committed by one
writer thread in batches: every write queued while a commit runs joins the
next one, so a burst of status updates costs one fsync, not one each. A
caller's `await write(...)` returns only once its rows are committed, which
is what lets the master keep its rule: durable before anyone is told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import (
    Engine,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection

from master.cluster import HISTORY_LIMIT, Agent, Framework, Task
from master.store import migrate
from master.store.models import AgentRow, Base, FrameworkRow, StatusUpdateRow, TaskRow
from offer import sqlmigrate, wire
from offer.resources import Resources
from offer.sqlupsert import upsert_statement
from offer.tasks import StatusReason, TaskState, TaskStatus

log = logging.getLogger(__name__)

_T = TypeVar("_T")


@dataclass
class Snapshot:
    """Everything persisted, as domain objects, for a master coming back up."""

    agents: list[Agent] = field(default_factory=list)
    frameworks: list[Framework] = field(default_factory=list)
    # Each with its stored updates (Task.stored), in creation order.
    tasks: list[Task] = field(default_factory=list)
    # Unacknowledged updates per framework, oldest first.
    unacked: dict[str, list[TaskStatus]] = field(default_factory=dict)


@dataclass
class _Batch:
    rows: list[tuple[type[Base], dict[str, Any]]]
    acks: list[str]
    # Updates that fell out of their task's history: deleted once acknowledged.
    forgotten: list[str]
    done: asyncio.Future[None]


_RowsByModel = dict[type[Base], list[dict[str, Any]]]


class StateStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = sqlmigrate.open_engine(url, migrate.MIGRATIONS, _PRAGMAS)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state-store")
        self._queue: asyncio.Queue[_Batch] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._upserts: dict[tuple[type[Base], tuple[str, ...]], Any] = {}
        self._many_rows = self._engine.dialect.name == "sqlite"
        # The connection the store's thread commits on directly (SQLite only).
        self._driver: PoolProxiedConnection | None = None
        # Transactions committed so far (a measure of how well writes group).
        self.commits = 0

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="state-store-writer")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._driver is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._driver.close)
        self._executor.shutdown(wait=True)
        self._engine.dispose()

    def write(
        self,
        *,
        agents: Iterable[Agent] = (),
        frameworks: Iterable[Framework] = (),
        tasks: Iterable[Task] = (),
        updates: Iterable[TaskStatus] = (),
        acks: Iterable[str] = (),
    ) -> asyncio.Future[None]:
        """Queues rows for the next commit; the future resolves once they are durable."""
        assert self._queue is not None, "StateStore.start() was not awaited"
        rows: list[tuple[type[Base], dict[str, Any]]] = []
        rows += [(AgentRow, _agent_row(a)) for a in agents]
        rows += [(FrameworkRow, _framework_row(f)) for f in frameworks]
        forgotten: list[str] = []
        for task in tasks:
            rows.append((TaskRow, _task_row(task)))
            forgotten += task.forgotten
            task.forgotten.clear()
        rows += [(StatusUpdateRow, _update_row(u)) for u in updates]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Batch(rows, list(acks), forgotten, done))
        return done

    async def _write_loop(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batches = [await self._queue.get()]
            while not self._queue.empty():
                batches.append(self._queue.get_nowait())
            try:
                await loop.run_in_executor(self._executor, self._commit, batches)
            except Exception as exc:  # a failed commit must reach every waiter
                log.exception("state store commit failed")
                for b in batches:
                    if not b.done.done():
                        b.done.set_exception(exc)
            else:
                for b in batches:
                    if not b.done.done():
                        b.done.set_result(None)

    def _commit(self, batches: Sequence[_Batch]) -> None:
        # One statement per table instead of one per row: building and
        # compiling a statement per row cost more than the fsync. Rows keep
        # their order within a table (a later version of a row wins); tables
        # are independent, and acks run last, after the updates they name.
        by_model: _RowsByModel = {}
        for batch in batches:
            for model, values in batch.rows:
                by_model.setdefault(model, []).append(values)
        acks = [uuid for batch in batches for uuid in batch.acks]
        # An unacknowledged one stays, for redelivery.
        forgotten = [uuid for batch in batches for uuid in batch.forgotten]
        if self._many_rows and all(model in _MANY_ROWS for model in by_model):
            self._commit_on_driver(by_model, acks, forgotten)
        else:
            self._commit_through_sqlalchemy(by_model, acks, forgotten)
        self.commits += 1

    def _commit_on_driver(
        self,
        by_model: dict[type[Base], list[dict[str, Any]]],
        acks: list[str],
        forgotten: list[str],
    ) -> None:
        """The busy master's commits (tasks, updates, acks) on the driver's
        own connection: SQLAlchemy's transaction and execution machinery
        cost more CPU per commit than SQLite's work in it."""
        if self._driver is None:  # made here, in the store's one thread
            self._driver = self._engine.raw_connection()
        db = self._driver.driver_connection
        assert db is not None
        db.execute("BEGIN")
        try:
            for model, rows in by_model.items():
                self._upsert(model, tuple(rows[0])).execute(db.execute, rows)
            for part in _chunks(acks, _SQLITE_VARIABLES):
                db.execute(_ack_sql(len(part)), tuple(part))
            for part in _chunks(forgotten, _SQLITE_VARIABLES):
                db.execute(_forget_sql(len(part)), tuple(part))
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def _commit_through_sqlalchemy(
        self,
        by_model: dict[type[Base], list[dict[str, Any]]],
        acks: list[str],
        forgotten: list[str],
    ) -> None:
        with self._engine.begin() as connection:
            for model, rows in by_model.items():
                upsert = self._upsert(model, tuple(rows[0]))
                if isinstance(upsert, _ManyRows):
                    upsert.execute(connection.exec_driver_sql, rows)
                else:
                    connection.execute(upsert, rows)
            if acks:
                connection.execute(_ACK, [{"ack_uuid": uuid} for uuid in acks])
            if forgotten:
                connection.execute(
                    delete(StatusUpdateRow).where(
                        StatusUpdateRow.uuid.in_(forgotten),
                        StatusUpdateRow.acknowledged.is_(True),
                    )
                )

    def _upsert(self, model: type[Base], columns: tuple[str, ...]) -> Any:
        """The upsert of `columns` into `model`'s table, built once."""
        key = (model, columns)
        if key not in self._upserts:
            upsert = _upsert(self._engine, model, columns)
            if self._many_rows and model in _MANY_ROWS:
                upsert = _ManyRows(self._engine, upsert, columns)
            self._upserts[key] = upsert
        return self._upserts[key]

    def load(self) -> Snapshot:
        """Reads the whole state (blocking; call before serving, or in a thread)."""
        snap = Snapshot()
        with Session(self._engine) as session:
            snap.agents = [_agent_from(r) for r in session.scalars(select(AgentRow))]
            snap.frameworks = [_framework_from(r) for r in session.scalars(select(FrameworkRow))]
            # Hundreds of thousands of rows each: read as the driver's tuples.
            updates = _driver_rows(session, _UPDATES)
            tasks = _driver_rows(session, _TASKS)
        # A task's updates stay rows until its history is asked for.
        per_task: dict[tuple[str, str], list[Any]] = {}
        for row in updates:
            per_task.setdefault((row[1], row[0]), []).append(row)
            if not row[-1]:  # not acknowledged
                snap.unacked.setdefault(row[1], []).append(_update_from(row))
        sizes: dict[tuple[float, float, float], Resources] = {}
        snap.tasks = [_task_from(r, per_task.get((r[0], r[1]), []), sizes) for r in tasks]
        return snap


def _driver_rows(session: Session, sql: str) -> list[Any]:
    """The rows of `sql` as the database driver returns them, without
    SQLAlchemy's result rows and type conversions (booleans stay 0 and 1 on
    SQLite): at recovery those cost more than the read itself."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


# The columns _task_from and _update_from read, in their order.
_TASKS = (
    "SELECT framework_id, task_id, agent_id, cpus, mem, disk, spec, created_at, state,"
    " status_uuid FROM tasks ORDER BY created_at"
)
_UPDATES = (
    "SELECT task_id, framework_id, agent_id, state, reason, message, timestamp, uuid,"
    " exit_code, healthy, acknowledged FROM status_updates ORDER BY seq"
)


# WAL lets readers run beside the writer; FULL makes each commit survive power
# loss, which group commit keeps affordable.
_PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000")

# Marks one status update acknowledged; executed once per uuid (executemany).
_ACK = (
    update(StatusUpdateRow)
    .where(StatusUpdateRow.uuid == bindparam("ack_uuid"))
    .values(acknowledged=True)
)


# The tables a busy master writes most, whose columns need no conversion on
# the way to the driver (no JSON): on SQLite they are written many rows to a
# statement.
_MANY_ROWS = (TaskRow, StatusUpdateRow)
# SQLite's limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER).
_SQLITE_VARIABLES = 32766


class _ManyRows:
    """An upsert run as `INSERT ... VALUES (...), (...), ... ON CONFLICT ...`,
    as many rows to a statement as SQLite takes. With executemany, sqlite3
    runs one statement per row and lets go of the GIL around each; taking it
    back from the busy event loop can wait a whole switch interval (5 ms),
    so a commit of a few hundred rows took seconds under load. Rows are
    applied in order, so a later version of a row in the same commit wins."""

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
        self, run: Callable[[str, tuple[Any, ...]], object], rows: Sequence[dict[str, Any]]
    ) -> None:
        """Runs the rows through `run(sql, parameters)`, a driver's or
        SQLAlchemy's way of executing a statement as it is."""
        names, defaults = self._names, self._defaults
        for part in _chunks(rows, self._per_statement):
            sql = self._head + ", ".join([self._row] * len(part)) + self._tail
            run(sql, tuple(row[n] if n in row else defaults[n] for row in part for n in names))


def _scalar_default(column: Any) -> Any:
    default = column.default
    if default is None or not default.is_scalar:
        raise ValueError(f"column {column.name} needs a value in every row written")
    return default.arg


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ack_sql(count: int) -> str:
    marks = ", ".join(["?"] * count)
    return f"UPDATE {StatusUpdateRow.__tablename__} SET acknowledged = 1 WHERE uuid IN ({marks})"


def _forget_sql(count: int) -> str:
    marks = ", ".join(["?"] * count)
    return (
        f"DELETE FROM {StatusUpdateRow.__tablename__} WHERE acknowledged = 1 AND uuid IN ({marks})"
    )


def _upsert(engine: Engine, model: type[Base], columns: tuple[str, ...]) -> Any:
    return upsert_statement(
        engine.dialect.name,
        model.__table__,
        columns,
        # Status updates are numbered by seq but identified by their uuid.
        keys=["uuid"] if model is StatusUpdateRow else (),
        kept=_WRITTEN_ONCE.get(model, frozenset()),
    )


# Columns a row keeps from its first write: a task's spec, and what the row
# repeats of it, never change. Its every status change writes the row again.
_WRITTEN_ONCE: dict[type[Base], frozenset[str]] = {
    TaskRow: frozenset({"name", "cpus", "mem", "disk", "spec", "created_at"}),
}


def _agent_row(a: Agent) -> dict[str, Any]:
    return {
        "agent_id": a.agent_id,
        "hostname": a.hostname,
        "cpus": a.total.cpus,
        "mem": a.total.mem,
        "disk": a.total.disk,
        "ports": [list(r) for r in a.total.ports],
        "attributes": dict(a.attributes),
        "registered_at": a.registered_at,
        "lost": a.lost,
        "drain_deadline": a.drain_deadline,
    }


def _agent_from(r: AgentRow) -> Agent:
    total = Resources(r.cpus, r.mem, r.disk, tuple((b, e) for b, e in r.ports))
    return Agent(
        r.agent_id,
        r.hostname,
        total,
        r.registered_at,
        lost=r.lost,
        attributes=dict(r.attributes),
        drain_deadline=r.drain_deadline,
    )


def _framework_row(f: Framework) -> dict[str, Any]:
    return {
        "framework_id": f.framework_id,
        "name": f.name,
        "role": f.role,
        "user": f.user,
        "failover_timeout": f.failover_timeout,
        "registered_at": f.registered_at,
        "removed": f.removed,
        "control_address": f.control_address,
        "principal": f.principal,
    }


def _framework_from(r: FrameworkRow) -> Framework:
    return Framework(
        r.framework_id,
        r.name,
        r.role,
        r.user,
        r.failover_timeout,
        r.registered_at,
        removed=r.removed,
        control_address=r.control_address,
        principal=r.principal,
    )


def _task_row(t: Task) -> dict[str, Any]:
    return {
        "framework_id": t.framework_id,
        "task_id": t.task_id,
        "agent_id": t.agent_id,
        "name": t.name,
        "cpus": t.resources.cpus,
        "mem": t.resources.mem,
        "disk": t.resources.disk,
        "spec": t.spec_json,
        "created_at": t.created_at,
        "state": int(t.status.state),
        "status_uuid": t.status.uuid,
    }


def _task_from(
    r: Any, updates: list[Any], sizes: dict[tuple[float, float, float], Resources]
) -> Task:
    """The task with its update rows, oldest first; its status is the update
    it names. Tasks of the same size share one Resources in `sizes`."""
    fid, tid, aid, cpus, mem, disk, spec_json, created_at, state, status_uuid = r
    named = [u for u in updates if u[_UUID] == status_uuid]
    # The update row is written with the task: its absence is only defended against.
    status = _update_from(named[0]) if named else TaskStatus(tid, fid, aid, TaskState(state))
    if _PORTS in spec_json:
        # Port ranges have no column of their own: only the spec knows them.
        resources = wire.spec_from_json(spec_json).resources
    else:
        size = (cpus, mem, disk)
        resources = sizes.get(size) or sizes.setdefault(size, Resources(*size))
    stored = _StoredUpdates(updates, status)
    return Task.stored(fid, aid, tid, resources, spec_json, created_at, status, stored)


class _StoredUpdates:
    """A recovered task's update rows, oldest first, and its status (which
    stands for the row it came from or, if none did, comes after them)."""

    __slots__ = ("_rows", "_status")

    def __init__(self, rows: list[Any], status: TaskStatus) -> None:
        self._rows, self._status = rows, status

    def history(self) -> list[TaskStatus]:
        status = self._status
        rows = self._rows[-HISTORY_LIMIT:]
        history = [status if r[_UUID] == status.uuid else _update_from(r) for r in rows]
        if not any(h is status for h in history):
            history.append(status)
        return history[-HISTORY_LIMIT:]

    def uuids(self) -> set[str]:
        return {r[_UUID] for r in self._rows} | {self._status.uuid}


# In a stored spec only as the key of its port ranges (inside a JSON string a
# quote is escaped); a label or env value "ports" is a harmless false alarm.
_PORTS = '"ports"'


def _update_row(u: TaskStatus) -> dict[str, Any]:
    return {
        "uuid": u.uuid,
        "framework_id": u.framework_id,
        "task_id": u.task_id,
        "agent_id": u.agent_id,
        "state": int(u.state),
        "reason": int(u.reason),
        "message": u.message,
        "timestamp": u.timestamp,
        "exit_code": u.exit_code,
        "healthy": u.healthy,
    }


def _update_from(r: Any) -> TaskStatus:
    tid, fid, aid, state, reason, message, timestamp, uuid, exit_code, healthy, _ = r
    return TaskStatus(
        tid,
        fid,
        aid,
        _STATES[state],
        _REASONS[reason],
        message,
        timestamp,
        uuid,
        exit_code,
        None if healthy is None else bool(healthy),
    )


# Where _update_from finds an update's uuid in its row.
_UUID = 7
# Faster than calling the enum on every row of a recovery.
_STATES = {int(s): s for s in TaskState}
_REASONS = {int(r): r for r in StatusReason}
