"""Acknowledgements sent in bursts: updates that arrive within a short
linger are acknowledged in one call (one call and one durable write on the
master instead of one per update event), off the path that reads the next
event. Nothing waits on an acknowledgement but the master's memory of what
to re-send after a failover (the master acknowledges agents' updates itself,
once stored), so a quarter of a second costs nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# Well under the master's bound on a repeated field.
MAX_BATCH = 1000
# How long stopping waits for pending acknowledgements to be sent.
CLOSE_SECONDS = 2.0
# How long the first pending acknowledgement waits for others to join it:
# several times the gap between the updates of containers starting in a
# burst (about a tenth of a second), so that a burst shares a few calls
# (bench/profiling.md, note 23).
LINGER_SECONDS = 0.25


class AckBatcher:
    def __init__(
        self, send: Callable[[list[str]], Awaitable[None]], linger: float = LINGER_SECONDS
    ) -> None:
        self._send = send
        self._linger = linger
        self._pending: list[str] = []
        self._flushing: asyncio.Task[None] | None = None

    def add(self, uuid: str) -> None:
        self._pending.append(uuid)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(self._linger)
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                await self._send(batch)
            except Exception as err:  # the master re-sends what was not acknowledged
                log.info(
                    "acknowledging %d update(s) failed (%s); they will be re-sent", len(batch), err
                )

    def drop(self) -> None:
        """Forgets what is pending and stops a send under way: for a framework
        being torn down, whose acknowledgements could only be refused (the
        master forgets its updates with it)."""
        self._pending = []
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None

    async def close(self) -> None:
        """Sends what is pending (briefly: the master re-sends the rest anyway)."""
        self._linger = 0.0
        if self._flushing is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._flushing), CLOSE_SECONDS)
        except TimeoutError:
            self._flushing.cancel()
