"""Group commit: every write queued while a commit runs joins the next one,
so a burst of writes costs one fsync, not one each.

Guarantees: one thread commits, one commit at a time, writes in the order
they were submitted; a write's future resolves only once the commit holding
it returned (for the store: is durable), or fails with that commit's error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

_Write = TypeVar("_Write")

CommitObserver = Callable[[int, float, bool], None]
"""Told of each commit: how many writes it held, its seconds, whether it succeeded."""


def _unobserved(_writes: int, _seconds: float, _ok: bool) -> None:
    pass


class CommitRefused(Exception):
    """A commit refused on purpose, for a reason its message gives in full
    (a fenced write): logged in one line, not as a failure's traceback."""


class GroupCommit(Generic[_Write]):
    """Runs `commit(writes)` on its own thread for whatever writes queued up."""

    def __init__(self, commit: Callable[[Sequence[_Write]], None], name: str) -> None:
        self._commit = commit
        self._name = name
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._queue: asyncio.Queue[tuple[_Write, asyncio.Future[None]]] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        # Commits that succeeded so far (a measure of how well writes group).
        self.commits = 0
        self.observe: CommitObserver = _unobserved

    def start(self) -> None:
        """Starts committing, on the running event loop."""
        self._queue = asyncio.Queue()
        self._loop_task = asyncio.create_task(self._commit_loop(), name=f"{self._name}-writer")

    def submit(self, write: _Write) -> asyncio.Future[None]:
        """Queues `write` for the next commit; the future resolves once it is committed."""
        assert self._queue is not None, "the store was not started"
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((write, done))
        return done

    async def close(self, release: Callable[[], None]) -> None:
        """Stops committing (queued writes stay unresolved), then runs
        `release` on the commit thread, for what the commits held there."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(self._thread, release)
        self._thread.shutdown(wait=True)

    async def _commit_loop(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            queued = [await self._queue.get()]
            while not self._queue.empty():
                queued.append(self._queue.get_nowait())
            began = time.perf_counter()
            try:
                await loop.run_in_executor(self._thread, self._commit, [w for w, _ in queued])
            except Exception as exc:  # a failed commit must reach every waiter
                self.observe(len(queued), time.perf_counter() - began, False)
                if isinstance(exc, CommitRefused):
                    log.warning("%s: commit refused: %s", self._name, exc)
                else:
                    log.exception("%s: commit failed", self._name)
                for _, done in queued:
                    if not done.done():
                        done.set_exception(exc)
            else:
                self.observe(len(queued), time.perf_counter() - began, True)
                self.commits += 1
                for _, done in queued:
                    if not done.done():
                        done.set_result(None)
