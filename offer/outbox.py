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

    def __init__(self) -> None:
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
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            if batch[-1] is self._CLOSED:
                if len(batch) > 1:
                    yield batch[:-1]  # type: ignore[misc]
                return
            yield batch  # type: ignore[misc]
