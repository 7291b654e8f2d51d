"""One transaction for many writes: their rows merged into one statement per
table, run on SQLite's fast path when it takes them, else through
SQLAlchemy, which keeps the store dialect-neutral."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, tuple_, update

from master.cluster import TaskKey
from master.store import rows
from master.store.models import AgentRow, Base, FrameworkRow, StatusUpdateRow, TaskRow
from master.store.rows import Batch, Values
from master.store.sqlite_fast_path import MANY_ROWS_MODELS, SQLiteFastPath

Fence = Callable[[Connection], None]
"""Called first in every write transaction, on its connection: raises to
abort the transaction (master.leadership: this master no longer leads)."""


class Committer:
    """Commits batches, called from one thread only. With a `fence`, every
    transaction runs it first and takes the SQLAlchemy path (the fast path
    is for SQLite, where one master holds the file and needs no fence)."""

    def __init__(self, engine: Engine, fence: Fence | None = None) -> None:
        self._engine = engine
        self._fast = SQLiteFastPath(engine) if engine.dialect.name == "sqlite" else None
        self._upserts: dict[tuple[type[Base], tuple[str, ...]], Any] = {}
        self.fence = fence

    def commit(self, batches: Sequence[Batch]) -> None:
        """One statement per table, not per row: building and compiling a
        statement per row cost more than the fsync (bench/profiling.md,
        note 1). Rows keep their order within a table (a later version of a
        row wins); tables are independent, and acks run last, after the
        updates they name."""
        by_model: dict[type[Base], list[Values]] = {}
        for batch in batches:
            if batch.removed_agents:
                _drop_agent_rows(by_model, set(batch.removed_agents))
            for model, values in batch.rows:
                by_model.setdefault(model, []).append(values)
        acks = [uuid for batch in batches for uuid in batch.acks]
        forgotten = [uuid for batch in batches for uuid in batch.forgotten]
        removed = [agent_id for batch in batches for agent_id in batch.removed_agents]
        pruned = [key for batch in batches for key in batch.pruned_tasks]
        gone = [fid for batch in batches for fid in batch.pruned_frameworks]
        # Removals are rare (an operator's call, a framework pruned): they
        # take the general path.
        general = removed or gone or self.fence is not None
        if self._fast is not None and not general and self._fast.takes(by_model):
            self._fast.commit(by_model, acks, forgotten, pruned)
        else:
            self._commit_through_sqlalchemy(by_model, acks, forgotten, removed, pruned, gone)

    def release(self) -> None:
        """Lets go of the fast path's connection (on the committing thread)."""
        if self._fast is not None:
            self._fast.close()

    def _commit_through_sqlalchemy(
        self,
        by_model: dict[type[Base], list[Values]],
        acks: list[str],
        forgotten: list[str],
        removed_agents: Sequence[str] = (),
        pruned: Sequence[TaskKey] = (),
        pruned_frameworks: Sequence[str] = (),
    ) -> None:
        with self._engine.begin() as connection:
            if self.fence is not None:
                self.fence(connection)
            if removed_agents:
                # Before the upserts: a row written after the removal (the id
                # registered anew) stays; rows written before it were dropped.
                connection.execute(delete(AgentRow).where(AgentRow.agent_id.in_(removed_agents)))
            for model, values in by_model.items():
                columns = tuple(values[0])
                if self._fast is not None and model in MANY_ROWS_MODELS:
                    many = self._fast.upsert(model, columns)
                    many.execute(connection.exec_driver_sql, values)
                else:
                    connection.execute(self._upsert(model, columns), values)
            if acks:
                connection.execute(_ACK, [{"ack_uuid": uuid} for uuid in acks])
            if forgotten:
                connection.execute(
                    delete(StatusUpdateRow).where(
                        StatusUpdateRow.uuid.in_(forgotten),
                        StatusUpdateRow.acknowledged.is_(True),
                    )
                )
            if pruned:
                # Last: a task's row written earlier in this commit goes too.
                # Its unacknowledged updates stay, for redelivery (the master
                # prunes no task that has one; this only defends).
                keys = [tuple(k) for k in pruned]
                connection.execute(
                    delete(StatusUpdateRow).where(
                        tuple_(StatusUpdateRow.framework_id, StatusUpdateRow.task_id).in_(keys),
                        StatusUpdateRow.acknowledged.is_(True),
                    )
                )
                connection.execute(
                    delete(TaskRow).where(tuple_(TaskRow.framework_id, TaskRow.task_id).in_(keys))
                )
            if pruned_frameworks:
                for model in (StatusUpdateRow, TaskRow, FrameworkRow):
                    connection.execute(
                        delete(model).where(model.framework_id.in_(pruned_frameworks))
                    )

    def _upsert(self, model: type[Base], columns: tuple[str, ...]) -> Any:
        key = (model, columns)
        if key not in self._upserts:
            self._upserts[key] = rows.upsert(self._engine.dialect.name, model, columns)
        return self._upserts[key]


# Marks one status update acknowledged; executed once per uuid (executemany).
_ACK = (
    update(StatusUpdateRow)
    .where(StatusUpdateRow.uuid == bindparam("ack_uuid"))
    .values(acknowledged=True)
)


def _drop_agent_rows(by_model: dict[type[Base], list[Values]], removed: set[str]) -> None:
    """Forgets the rows of removed agents written earlier in the same commit."""
    kept = [v for v in by_model.pop(AgentRow, []) if v["agent_id"] not in removed]
    if kept:
        by_model[AgentRow] = kept
