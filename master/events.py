"""The master's cluster events for operators: agents added or lost,
frameworks subscribed or gone, task state changes, fanned out to watchers.

In-memory only, and fed after the change is durable. A watcher never slows
the master: each has a bounded queue, and when it is full the oldest events
are dropped and the watcher is told how many at its next read. The hub also
keeps the last events, so that a new watcher can start with recent history.
"""

from __future__ import annotations

import asyncio
import collections
import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from offer.tasks import TaskStatus

# Enough for a screenful of `offerctl events` history, and small enough that
# a new watcher's replay costs nothing.
HISTORY_SIZE = 1000
# A watcher that falls this far behind starts losing its oldest events.
QUEUE_SIZE = 1000


class EventKind(enum.IntEnum):
    """Mirrors offer.v1.ClusterEventType; the numbers are the wire values."""

    UNSPECIFIED = 0
    AGENT_ADDED = 1
    AGENT_REREGISTERED = 2
    AGENT_DISCONNECTED = 3
    AGENT_LOST = 4
    AGENT_DRAINING = 5
    AGENT_REACTIVATED = 6
    FRAMEWORK_SUBSCRIBED = 7
    FRAMEWORK_DISCONNECTED = 8
    FRAMEWORK_REMOVED = 9
    TASK_CHANGED = 10
    DROPPED = 11
    CAUGHT_UP = 12
    AGENT_ENGINE_UNAVAILABLE = 13
    AGENT_ENGINE_AVAILABLE = 14


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    # Increasing by one per event within one master run; 0 for the markers
    # (DROPPED, CAUGHT_UP) that belong to one watcher's stream only.
    seq: int
    timestamp: float
    kind: EventKind
    agent_id: str = ""
    framework_id: str = ""
    # For TASK_CHANGED: the task's new status.
    status: TaskStatus | None = None
    message: str = ""


class Watcher:
    """One reader's view of the hub: the history it asked for, then every
    event published after it started, in order, with drops reported."""

    def __init__(
        self, history: list[ClusterEvent], queue_size: int, clock: Callable[[], float]
    ) -> None:
        self.history = history
        self._clock = clock
        self._queue: collections.deque[ClusterEvent] = collections.deque()
        self._queue_size = queue_size
        self._dropped = 0
        self._ready = asyncio.Event()
        self._closed = False

    def _put(self, event: ClusterEvent) -> None:
        if len(self._queue) >= self._queue_size:
            self._queue.popleft()
            self._dropped += 1
        self._queue.append(event)
        self._ready.set()

    def _close(self) -> None:
        self._closed = True
        self._ready.set()

    async def next(self) -> ClusterEvent | None:
        """The next event; None once the hub has closed and nothing is left."""
        while not self._queue and not self._dropped:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        if self._dropped:
            dropped, self._dropped = self._dropped, 0
            return ClusterEvent(
                0,
                self._clock(),
                EventKind.DROPPED,
                message=f"{dropped} events were dropped: this watcher read too slowly",
            )
        return self._queue.popleft()


class EventHub:
    def __init__(
        self,
        clock: Callable[[], float],
        history_size: int = HISTORY_SIZE,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.clock = clock
        self._history: collections.deque[ClusterEvent] = collections.deque(maxlen=history_size)
        self._watchers: set[Watcher] = set()
        self._queue_size = queue_size
        self._seq = 0

    def publish(
        self,
        kind: EventKind,
        message: str,
        *,
        agent_id: str = "",
        framework_id: str = "",
        status: TaskStatus | None = None,
    ) -> ClusterEvent:
        """Records an event and hands it to every watcher; never blocks."""
        self._seq += 1
        event = ClusterEvent(self._seq, self.clock(), kind, agent_id, framework_id, status, message)
        self._history.append(event)
        for watcher in self._watchers:
            watcher._put(event)
        return event

    @contextmanager
    def watch(self, replay: int = 0) -> Iterator[Watcher]:
        """A watcher holding the last `replay` events, then every new one
        (no gap and no repeat between the two), until the block ends."""
        history = list(self._history)[-replay:] if replay > 0 else []
        watcher = Watcher(history, self._queue_size, self.clock)
        self._watchers.add(watcher)
        try:
            yield watcher
        finally:
            self._watchers.discard(watcher)

    def close(self) -> None:
        """Ends every watcher's stream after what it has queued."""
        for watcher in self._watchers:
            watcher._close()
