"""What the master keeps of the past: the newest ended tasks of each
framework (--max-completed-tasks-per-framework, oldest pruned first) and
the newest removed frameworks (--max-completed-frameworks, each with its
tasks and updates), as Mesos does, so that memory and the store level off
under steady churn.

Guarantees:
- a live task is never pruned, nor a task with an update its framework has
  not acknowledged (it is passed over, and pruned once acknowledged); a
  removed framework is pruned only once none of its tasks is live;
- a task leaves memory first (at once, on the loop, between calls), then
  the store, in batches of at most DELETE_BATCH tasks written through the
  group commit: each batch is one more write in a commit, ordered after
  every write of those tasks, so a deleted row is never written again and
  no commit waits for a long delete;
- a restart loads what the store still holds and prunes it again, so a
  pruned task whose delete had not been committed is not resurrected.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from master.cluster import Task, TaskKey
from master.config import MasterConfig
from master.state import ClusterState
from master.store import StateStore

log = logging.getLogger(__name__)

# Tasks deleted from the store per write: a few milliseconds of SQLite work.
DELETE_BATCH = 500


class History:
    """Prunes ended tasks beyond the limit, from memory and then the store."""

    def __init__(self, state: ClusterState, store: StateStore, config: MasterConfig) -> None:
        self._state = state
        self._store = store
        self._keep = config.max_completed_tasks_per_framework
        self._keep_frameworks = config.max_completed_frameworks
        # Frameworks with a task ended (or an update acknowledged) since the
        # last pass: only they can have something to prune.
        self._touched: set[str] = set()
        # Pruned from memory, not yet deleted from the store, oldest first.
        self._deletes: deque[TaskKey] = deque()
        self._framework_deletes: deque[str] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        # Tasks pruned since the start (for operators and tests).
        self.pruned = 0
        state.prune_wanted = self.touch

    def touch(self, framework_id: str) -> None:
        """The framework may have something to prune: a task of it ended, or
        it acknowledged updates (which may make a passed-over task prunable)."""
        self._touched.add(framework_id)
        self._idle.clear()
        self._wake.set()

    def prune_all(self) -> None:
        """Prunes every framework now (after recovery: the store may hold
        more than the limit, if it was lowered or deletes were cut short)."""
        self._touched.update(self._state.ended)
        self._prune_memory()
        if self._deletes or self._framework_deletes:
            self._idle.clear()
            self._wake.set()

    async def run(self) -> None:
        """Prunes whatever was touched, then deletes in batches, until stopped."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._prune_memory()
            while self._deletes:
                count = min(DELETE_BATCH, len(self._deletes))
                keys = [self._deletes.popleft() for _ in range(count)]
                await self._store.write(pruned_tasks=keys)
                self._state.pruned_deleted(keys)
            while self._framework_deletes:
                # One a write: its tasks are at most the per-framework limit
                # (and the few that were live when it was removed).
                framework_id = self._framework_deletes.popleft()
                await self._store.write(pruned_frameworks=[framework_id])
            if not self._wake.is_set():
                self._idle.set()

    async def settled(self) -> None:
        """Returns once everything pruned so far is deleted from the store."""
        await self._idle.wait()

    def _prune_memory(self) -> None:
        touched, self._touched = self._touched, set()
        for framework_id in touched:
            keys = self._state.prune_ended(framework_id, self._keep, self._prunable)
            self._deletes.extend(keys)
            self.pruned += len(keys)
            if keys:
                log.debug("pruned %d ended tasks of framework %s", len(keys), framework_id)
        for framework_id in self._state.prune_frameworks(self._keep_frameworks):
            self._framework_deletes.append(framework_id)
            log.info("pruned removed framework %s and its tasks", framework_id)

    def _prunable(self, task: Task) -> bool:
        fw = self._state.frameworks.get(task.framework_id)
        if fw is None or not fw.unacked:
            return True
        unacked = fw.unacked
        return task.status.uuid not in unacked and not any(
            status.uuid in unacked for status in task.history
        )
