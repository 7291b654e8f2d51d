"""The state store: durable writes with group commit, and the recovery read.

A caller's `await write(...)` returns only once its rows are committed,
which is what lets the master keep its rule: durable before anyone is told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event

from master.allocator.quota import Quota
from master.cluster import Agent, Framework, Task, TaskKey
from master.store import migrate, recovery, rows
from master.store.commit import Committer, Fence
from master.store.group_commit import CommitObserver, GroupCommit
from master.store.lease import LeaseTable
from master.store.recovery import Snapshot
from master.store.rows import Batch
from offer import sqlmigrate
from offer.tasks import TaskStatus

# WAL lets readers run beside the writer; FULL makes each commit survive power
# loss, which group commit keeps affordable.
_PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000")
# A master paused or cut off in the middle of a transaction holds the lease
# row's share lock (the fence) until its session ends: PostgreSQL ends it
# after this long, so that a standby can take over.
IDLE_IN_TRANSACTION_SECONDS = 5.0


class StateStore:
    """The master's state in the database at `url`, its schema brought up to
    date on opening. Writes are committed in groups by one thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        # On PostgreSQL, masters starting together migrate one after another
        # (sqlmigrate.upgrade takes an advisory lock).
        self._engine = sqlmigrate.open_engine(url, migrate.MIGRATIONS, _PRAGMAS)
        if self._engine.dialect.name == "postgresql":
            _end_idle_transactions(self._engine, IDLE_IN_TRANSACTION_SECONDS)
        self._committer = Committer(self._engine)
        self._writer = GroupCommit[Batch](self._committer.commit, "state-store")
        # The leader's lease, in the same database (master.leadership).
        self.lease = LeaseTable(self._engine)

    @property
    def shared(self) -> bool:
        """Whether several masters may open this database at once (a server
        such as PostgreSQL); a SQLite file is held by one master
        (offer.exclusive.lock_state_file)."""
        return self._engine.dialect.name != "sqlite"

    def fence_writes(self, fence: Fence | None) -> None:
        """Runs `fence` first in every write transaction from now on (before
        `start`): it raises to abort one whose master no longer leads."""
        self._committer.fence = fence

    def observe_commits(self, observer: CommitObserver) -> None:
        """Tells `observer` of every commit from now on (its size and time,
        for the master's metrics)."""
        self._writer.observe = observer

    @property
    def commits(self) -> int:
        """Transactions committed so far (a measure of how well writes group)."""
        return self._writer.commits

    async def start(self) -> None:
        self._writer.start()

    async def close(self) -> None:
        await self._writer.close(self._committer.release)
        self._engine.dispose()

    def write(
        self,
        *,
        agents: Iterable[Agent] = (),
        frameworks: Iterable[Framework] = (),
        tasks: Iterable[Task] = (),
        updates: Iterable[TaskStatus] = (),
        acks: Iterable[str] = (),
        removed_agents: Iterable[str] = (),
        quotas: Mapping[str, Quota | None] | None = None,
        pruned_tasks: Iterable[TaskKey] = (),
        pruned_frameworks: Iterable[str] = (),
    ) -> asyncio.Future[None]:
        """Queues rows for the next commit; the future resolves once they are
        durable, all of them in one transaction. The rows are taken now:
        later changes to the objects are not part of this write.
        `removed_agents` are ids whose rows are deleted; `quotas` are roles'
        quotas as set (None: removed); `pruned_tasks` are ended tasks whose
        rows and acknowledged updates are deleted, after the other rows;
        `pruned_frameworks` are removed frameworks deleted with all their
        tasks and updates."""
        batch = rows.batch(
            agents=agents,
            frameworks=frameworks,
            tasks=tasks,
            updates=updates,
            acks=acks,
            removed_agents=removed_agents,
            quotas=quotas,
            pruned_tasks=pruned_tasks,
            pruned_frameworks=pruned_frameworks,
        )
        return self._writer.submit(batch)

    def load(self) -> Snapshot:
        """Reads the whole state (blocking; call before serving, or in a thread)."""
        return recovery.read(self._engine)


def _end_idle_transactions(engine: Any, seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _timeout(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"SET idle_in_transaction_session_timeout = {int(seconds * 1000)}")
        cursor.close()
        dbapi_conn.commit()

    # The migration's connection, pooled already, gets it too.
    engine.dispose()
