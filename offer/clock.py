"""Time, injected: what the master's timers, the frameworks' backoffs and
cron, and the drivers' reconnects read and wait on.

Production code takes a `Clock` and defaults to `SystemClock()`; a test
hands it a `ManualClock` and moves time on with `advance()`, so that a
60-second timeout is tested in microseconds, in order, and never flakes
on a busy machine.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "TimerHandle"]


class TimerHandle(Protocol):
    def cancel(self) -> None:
        """The callback will not run (nothing happens if it already has)."""


class Clock(Protocol):
    """Wall-clock time in Unix seconds, and waiting on it. Callbacks and
    sleepers run on the running asyncio loop."""

    def __call__(self) -> float:
        """Now, in Unix seconds."""

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Runs `callback(*args)` on the loop once `delay` seconds have passed."""

    async def sleep(self, delay: float) -> None:
        """Returns once `delay` seconds have passed."""


class SystemClock:
    """The real time: `time.time` and the running loop's timers."""

    def __call__(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback, *args)

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))


class _ManualTimer:
    __slots__ = ("args", "callback", "cancelled")

    def __init__(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.callback, self.args, self.cancelled = callback, args, False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Time that moves only when a test says so. Timers due at the same time
    run in the order they were set; between two timers the loop runs what
    became ready, as it would have in the time that passed."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self._timers: list[tuple[float, int, _ManualTimer]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        timer = _ManualTimer(callback, args)
        heapq.heappush(self._timers, (self.now + max(0.0, delay), next(self._order), timer))
        return timer

    async def sleep(self, delay: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        handle = self.call_later(delay, _wake, woken)
        try:
            await woken
        finally:
            handle.cancel()

    @property
    def pending(self) -> int:
        """Timers set and neither run nor cancelled."""
        return sum(1 for *_, t in self._timers if not t.cancelled)

    async def advance(self, seconds: float) -> None:
        """Moves time on by `seconds`, running every timer that falls due, in
        order, each at its own time."""
        until = self.now + seconds
        await settle()
        while self._timers and self._timers[0][0] <= until:
            due, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self.now = max(self.now, due)
            timer.callback(*timer.args)
            await settle()
        self.now = until
        await settle()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def settle(rounds: int = 20) -> None:
    """Lets the loop run what is ready (callbacks, woken tasks and what they
    wake in turn) before time moves again."""
    for _ in range(rounds):
        await asyncio.sleep(0)
