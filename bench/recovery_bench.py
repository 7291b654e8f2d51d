"""Recovery and memory: a master restarted on a store that holds `tasks`
live tasks on `agents` agents.

The store is filled through the store's own API (`StateStore.write`) with
what a running cluster leaves behind: agents, frameworks, and per task its
row and its STAGING and RUNNING updates, acknowledged. Then the real master
process starts on it; *recovery* is the time from spawning it until it
answers an Operator call (beside the same for an empty store). Then every
agent comes back (load agents, re-registering with their ids and tasks),
and the master's memory is read with all of them connected.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.load.agents import LoadAgents
from bench.load.stats import Recorder
from bench.masterproc import MasterProcess
from bench.pgserver import databases
from master.cluster import Agent, Framework, Task
from master.store import StateStore
from offer import wire
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus
from offer.v1 import common_pb2 as common

FRAMEWORKS = 8
AGENT_TOTAL = Resources(4.0, 4096.0)
TASK = Resources(0.25, 64.0)
CHUNK = 5000


@dataclass(frozen=True)
class RecoveryResult:
    agents: int
    tasks: int
    fill_seconds: float
    empty_start_seconds: float
    start_seconds: float
    # RSS once the state is loaded, before any agent is back.
    loaded_rss: int
    reregister_seconds: float
    # RSS with every agent connected and every task live, and the peak so far.
    connected_rss: int
    peak_rss: int
    database: str = "sqlite"


def _cluster(agents: int, tasks: int) -> tuple[list[Agent], list[Framework], list[Task]]:
    now = time.time()
    agent_list = [Agent(f"agent-{i:06d}", f"load-{i}", AGENT_TOTAL, now) for i in range(agents)]
    fws = [
        Framework(f"fw-{i:04d}", f"load-{i}", f"role{i % 4}", "bench", 7 * 86400.0, now)
        for i in range(FRAMEWORKS)
    ]
    task_list = []
    for n in range(tasks):
        fid, aid = fws[n % FRAMEWORKS].framework_id, agent_list[n % agents].agent_id
        spec = TaskSpec(f"t{n}", f"t{n}", TASK, "load", ("sleep", "inf"))
        status = TaskStatus(spec.task_id, fid, aid, TaskState.RUNNING, timestamp=now)
        task_list.append(Task(fid, aid, spec, now, status))
    return agent_list, fws, task_list


async def _fill(url: str, agents: list[Agent], fws: list[Framework], tasks: list[Task]) -> None:
    store = StateStore(url)
    await store.start()
    try:
        await store.write(agents=agents, frameworks=fws)
        for i in range(0, len(tasks), CHUNK):
            chunk = tasks[i : i + CHUNK]
            staging = [
                TaskStatus(t.spec.task_id, t.framework_id, t.agent_id, TaskState.STAGING)
                for t in chunk
            ]
            updates = staging + [t.status for t in chunk]
            await store.write(tasks=chunk, updates=updates, acks=[u.uuid for u in updates])
    finally:
        await store.close()


def _known(tasks: list[Task]) -> dict[str, list[common.TaskStatus]]:
    known: dict[str, list[common.TaskStatus]] = {}
    for task in tasks:
        known.setdefault(task.agent_id, []).append(wire.status_to_pb(task.status))
    return known


async def _reregister(master: MasterProcess, tasks: list[Task]) -> tuple[float, int]:
    agents = LoadAgents(
        master.address, 0, AGENT_TOTAL.cpus, AGENT_TOTAL.mem, Recorder(), known=_known(tasks)
    )
    try:
        seconds = await agents.register()
        await asyncio.sleep(1.0)  # let the registrations' writes and logs settle
        return seconds, master.rss()
    finally:
        await agents.close()


def run(quick: bool, database: str = "sqlite") -> RecoveryResult:
    """On SQLite files, or on databases of a durable PostgreSQL server."""
    agents, tasks = (1000, 10_000) if quick else (10_000, 100_000)
    with (
        tempfile.TemporaryDirectory(prefix="offer-recovery-") as tmp,
        databases(database) as new_url,
    ):
        root = Path(tmp)
        empty = MasterProcess(new_url("empty"), root / "empty.log")
        empty_seconds = empty.start()
        empty.stop()
        url = new_url("master")
        agent_list, fws, task_list = _cluster(agents, tasks)
        started = time.perf_counter()
        asyncio.run(_fill(url, agent_list, fws, task_list))
        fill_seconds = time.perf_counter() - started
        master = MasterProcess(url, root / "master.log", "--agent-timeout", "600")
        try:
            start_seconds = master.start()
            loaded_rss = master.rss()
            reregister_seconds, connected_rss = asyncio.run(_reregister(master, task_list))
            peak = master.peak_rss()
        finally:
            master.stop()
    return RecoveryResult(
        agents,
        tasks,
        fill_seconds,
        empty_seconds,
        start_seconds,
        loaded_rss,
        reregister_seconds,
        connected_rss,
        peak,
        database,
    )


def run_postgresql(quick: bool) -> RecoveryResult:
    """run on PostgreSQL (a module-level function, for run.isolated)."""
    return run(quick, "postgresql")


if __name__ == "__main__":
    import sys

    database = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    for name, value in vars(run(quick=True, database=database)).items():
        print(f"{name:>20}: {value}")
