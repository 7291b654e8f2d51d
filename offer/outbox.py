"""The per-connection outbox of a stream: an unbounded FIFO whose reader
takes everything queued at once, so that a sender can fold what piled up
meanwhile into fewer wire messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Outbox(Generic[T]):
    """Closing it ends the stream after what was already sent."""

    _CLOSED = object()

    def __init__(self, spacing: float = 0.0) -> None:
        # Batches are at least this far apart: what comes in meanwhile
        # waits for the next one. The first item after a quiet spell goes at
        # once; in a burst, fewer and fuller messages.
        self._spacing = spacing
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self.closed = False

    def send(self, item: T) -> None:
        if not self.closed:
            self._queue.put_nowait(item)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(self._CLOSED)

    async def batches(self) -> AsyncIterator[list[T]]:
        """Waits for an item, then yields it with every item queued behind
        it, in order; ends after the last item sent before `close`."""
        queue = self._queue
        loop = asyncio.get_running_loop()
        sent_at = -self._spacing
        while True:
            batch = [await queue.get()]
            early = sent_at + self._spacing - loop.time()
            if early > 0 and batch[0] is not self._CLOSED:
                await asyncio.sleep(early)
            while not queue.empty():
                batch.append(queue.get_nowait())
            if batch[-1] is self._CLOSED:
                if len(batch) > 1:
                    yield batch[:-1]  # type: ignore[misc]
                return
            yield batch  # type: ignore[misc]
            sent_at = loop.time()
