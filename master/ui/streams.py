"""Long-lived answers (the event stream, a followed log) that wait on the
master without tying it up.

A Pump reads a stream of the master (WatchEvents, GetTaskLogs) in a task of
its own into a queue. The handler that writes it to the browser can then
wait with a timeout, to send keep-alives (which is also how it notices a
browser that left: the write fails) and to end at once when the HTTP server
shuts down, without cancelling the stream halfway through a step.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _End:
    error: BaseException | None = None


class Quiet:
    """What Pump.next returns when nothing came within its timeout."""


QUIET = Quiet()


class Pump(Generic[T]):
    def __init__(self, source: AsyncIterator[T], closing: asyncio.Event) -> None:
        self._queue: asyncio.Queue[T | _End] = asyncio.Queue()
        self._closing = closing
        self._task = asyncio.create_task(self._run(source), name="ui-stream")

    async def _run(self, source: AsyncIterator[T]) -> None:
        try:
            async for item in source:
                self._queue.put_nowait(item)
        except Exception as err:
            self._queue.put_nowait(_End(err))
        else:
            self._queue.put_nowait(_End())

    async def next(self, quiet_after: float) -> T | Quiet:
        """The next item, or QUIET after `quiet_after` seconds without one.
        Raises StopAsyncIteration at the stream's end or when the server
        shuts down, and the stream's own exception if it failed."""
        if self._closing.is_set():
            raise StopAsyncIteration
        get = asyncio.ensure_future(self._queue.get())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait(
                {get, closing}, timeout=quiet_after, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closing.cancel()
            if not get.done():
                get.cancel()
        if not get.done() or get.cancelled():
            if self._closing.is_set():
                raise StopAsyncIteration
            return QUIET
        item = get.result()
        if isinstance(item, _End):
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    async def close(self) -> None:
        """Stops reading the stream (its own clean-up runs: a watcher is
        removed, an agent is told to stop sending a log)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
