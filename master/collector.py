"""How the master's cyclic garbage collector runs.

The master's state (tasks, their statuses and specs, agents) is hundreds of
thousands of long-lived objects, and under load many short-lived objects
(calls, futures, batches) live just long enough to reach the oldest
generation. Python then runs a full collection whenever those pile up to a
quarter of the old ones, and each would scan the whole state again: a
master under load must not pay for its state at every full collection
(see bench/profiling.md, note 17).

After each full collection its survivors are frozen (gc.freeze): they are
almost all cluster state, which lives on, and later full collections scan
only what came since. Objects frozen while in flight that later die in a
reference cycle would never be freed, so every `sweep_seconds` everything is
thawed and collected once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

OLDEST = 2


class FreezingCollector:
    def __init__(self, sweep_seconds: float = 900.0) -> None:
        self.sweep_seconds = sweep_seconds
        self.full_collections = 0

    def install(self) -> None:
        gc.freeze()
        if self._after_collection not in gc.callbacks:
            gc.callbacks.append(self._after_collection)

    def uninstall(self) -> None:
        if self._after_collection in gc.callbacks:
            gc.callbacks.remove(self._after_collection)

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Called by the collector itself, once its work is done: freezing
        # only moves its lists, which is safe then.
        if phase == "stop" and info["generation"] == OLDEST:
            self.full_collections += 1
            gc.freeze()

    def sweep(self) -> float:
        """Thaws everything, collects it whole and freezes what is left;
        returns the seconds it took. The master's loop waits meanwhile, for
        a time that grows with its state (about a million objects per
        100,000 tasks: bench/profiling.md, note 17), so it runs seldom."""
        start = time.perf_counter()
        gc.unfreeze()
        gc.collect()  # its callback freezes the survivors
        return time.perf_counter() - start

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            took = self.sweep()
            log.info("full garbage collection of the master's state took %.2fs", took)
