"""The state store: status updates made durable per second, each write
committed on its own versus grouped by the store's group commit."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from master.store import StateStore
from offer.tasks import TaskState, TaskStatus

WRITERS = 50


@dataclass(frozen=True)
class StoreResult:
    mode: str
    updates: int
    seconds: float
    commits: int

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


async def _run(mode: str, count: int, directory: Path) -> StoreResult:
    store = StateStore(f"sqlite:///{directory / f'{mode}.db'}")
    await store.start()
    updates = [TaskStatus(f"t{i}", "fw", "agent", TaskState.RUNNING) for i in range(count)]
    start = time.perf_counter()
    if mode == "one by one":
        for update in updates:  # each waits for its own commit, as a naive store would
            await store.write(updates=[update])
    else:
        # As in the master: WRITERS streams (think agents) each send their
        # updates in order, awaiting durability before the next; the writer
        # commits whatever has queued meanwhile in one transaction.
        await asyncio.gather(*(_stream(store, updates[i::WRITERS]) for i in range(WRITERS)))
    seconds = time.perf_counter() - start
    commits = store.commits
    await store.close()
    return StoreResult(mode, count, seconds, commits)


async def _stream(store: StateStore, updates: list[TaskStatus]) -> None:
    for update in updates:
        await store.write(updates=[update])


def run(quick: bool) -> list[StoreResult]:
    count = 500 if quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        return [asyncio.run(_run(mode, count, Path(tmp))) for mode in ("one by one", "grouped")]


if __name__ == "__main__":
    for r in run(quick=True):
        print(
            f"{r.mode:<12} {r.updates} updates in {r.seconds:.2f}s = {r.per_second:,.0f}/s "
            f"({r.commits} commits)"
        )
