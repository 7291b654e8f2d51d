"""The state store: durable writes with group commit, and the recovery read.

A caller's `await write(...)` returns only once its rows are committed,
which is what lets the master keep its rule: durable before anyone is told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from master.cluster import Agent, Framework, Task
from master.store import migrate, recovery, rows
from master.store.commit import Committer
from master.store.group_commit import GroupCommit
from master.store.recovery import Snapshot
from master.store.rows import Batch
from offer import sqlmigrate
from offer.tasks import TaskStatus

# WAL lets readers run beside the writer; FULL makes each commit survive power
# loss, which group commit keeps affordable.
_PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000")


class StateStore:
    """The master's state in the database at `url`, its schema brought up to
    date on opening. Writes are committed in groups by one thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = sqlmigrate.open_engine(url, migrate.MIGRATIONS, _PRAGMAS)
        self._committer = Committer(self._engine)
        self._writer = GroupCommit[Batch](self._committer.commit, "state-store")

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
    ) -> asyncio.Future[None]:
        """Queues rows for the next commit; the future resolves once they are
        durable, all of them in one transaction. The rows are taken now:
        later changes to the objects are not part of this write.
        `removed_agents` are ids whose rows are deleted."""
        batch = rows.batch(
            agents=agents,
            frameworks=frameworks,
            tasks=tasks,
            updates=updates,
            acks=acks,
            removed_agents=removed_agents,
        )
        return self._writer.submit(batch)

    def load(self) -> Snapshot:
        """Reads the whole state (blocking; call before serving, or in a thread)."""
        return recovery.read(self._engine)
