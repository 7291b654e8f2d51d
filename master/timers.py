"""Named one-shot timers on the master's loop (offer, agent and failover timeouts)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

TimerAction = Callable[[str], Awaitable[None] | None]


class Timers:
    """At most one timer per key; setting a key again replaces its timer.
    An action may be a coroutine function: it then runs as a task that
    `close()` cancels."""

    def __init__(self) -> None:
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._jobs: set[asyncio.Future[None]] = set()

    def set(self, key: str, delay: float, action: TimerAction, arg: str) -> None:
        self.cancel(key)
        loop = asyncio.get_running_loop()
        self._handles[key] = loop.call_later(delay, self._fire, key, action, arg)

    def cancel(self, key: str) -> None:
        handle = self._handles.pop(key, None)
        if handle is not None:
            handle.cancel()

    def _fire(self, key: str, action: TimerAction, arg: str) -> None:
        self._handles.pop(key, None)
        result = action(arg)
        if result is not None:
            job = asyncio.ensure_future(result)
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)

    async def close(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        for job in self._jobs:
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
