"""The per-connection outbox of a stream: an unbounded FIFO whose reader
takes everything queued at once, so that a sender can fold what piled up
meanwhile into fewer wire messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Outbox(Generic[T]):
    """Closing it ends the stream after what was already sent."""

    _CLOSED = object()

    def __init__(self, spacing: float = 0.0, urgent: Callable[[T], bool] | None = None) -> None:
        # Batches are at least this far apart: what comes in meanwhile
        # waits for the next one, unless `urgent` says an item must not
        # wait. The first item after a quiet spell goes at once; in a burst,
        # fewer and fuller messages.
        self._spacing = spacing
        self._urgent = urgent
        self._hurry = asyncio.Event()
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self.closed = False

    def send(self, item: T) -> None:
        if not self.closed:
            self._queue.put_nowait(item)
            if self._urgent is not None and self._urgent(item):
                self._hurry.set()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(self._CLOSED)
            self._hurry.set()

    async def batches(self) -> AsyncIterator[list[T]]:
        """Waits for an item, then yields it with every item queued behind
        it, in order; ends after the last item sent before `close`."""
        queue = self._queue
        loop = asyncio.get_running_loop()
        sent_at = -self._spacing
        while True:
            batch = [await queue.get()]
            early = sent_at + self._spacing - loop.time()
            if early > 0 and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), early)
            self._hurry.clear()
            while not queue.empty():
                batch.append(queue.get_nowait())
            if batch[-1] is self._CLOSED:
                if len(batch) > 1:
                    yield batch[:-1]  # type: ignore[misc]
                return
            yield batch  # type: ignore[misc]
            sent_at = loop.time()
