"""The state stores: writes made durable per second. The master's status
updates, each committed on its own versus grouped by the store's group
commit; and a framework store's upserts (offer-service's instances, one
transaction per call, as on each status update), on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.pgserver import databases
from frameworks.service.store import InstanceRecord, ServiceStore
from master.store import StateStore
from offer.tasks import TaskState, TaskStatus

WRITERS = 50
MODES = ("one by one", "grouped", "upserts")


@dataclass(frozen=True)
class StoreResult:
    mode: str
    updates: int
    seconds: float
    commits: int
    database: str = "sqlite"

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds


async def _run(mode: str, count: int, url: str) -> tuple[float, int]:
    store = StateStore(url)
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
    return seconds, commits


async def _stream(store: StateStore, updates: list[TaskStatus]) -> None:
    for update in updates:
        await store.write(updates=[update])


def _upserts(count: int, url: str) -> tuple[float, int]:
    """offer-service's store: an instance row each call, in `count`
    transactions, over as many instances as a large app has."""
    store = ServiceStore(url)
    instances = [InstanceRecord(f"web.{i}", "web", "v1", float(i)) for i in range(100)]
    start = time.perf_counter()
    for n in range(count):
        instance = instances[n % len(instances)]
        instance.state = TaskState.RUNNING if n % 2 else TaskState.STARTING
        store.save_instances(instance)
    return time.perf_counter() - start, count


def run(quick: bool, database: str = "sqlite") -> list[StoreResult]:
    """One result per mode (MODES), on a new database of `database`'s kind each."""
    count = 500 if quick else 2000
    results = []
    with databases(database) as new_url:
        for mode in MODES:
            url = new_url(mode.replace(" ", "-"))
            if mode == "upserts":
                seconds, commits = _upserts(count, url)
            else:
                seconds, commits = asyncio.run(_run(mode, count, url))
            results.append(StoreResult(mode, count, seconds, commits, database))
    return results


if __name__ == "__main__":
    import sys

    for r in run(quick=True, database=sys.argv[1] if len(sys.argv) > 1 else "sqlite"):
        print(
            f"{r.database:<10} {r.mode:<12} {r.updates} writes in {r.seconds:.2f}s "
            f"= {r.per_second:,.0f}/s ({r.commits} commits)"
        )
