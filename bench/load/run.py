"""One load run: a real master process with its SQLite store, `agents`
load agents and `frameworks` load frameworks in this process.

Phase one (churn): frameworks always have work; every task runs
`task_seconds`, so resources are freed and offered again all the time. The
window after a warm-up gives launches/s, offer and update latencies and
the master's CPU. Phase two (fill, optional): `fill_tasks` tasks that never
end are launched, and the master's memory is read with all of them live.

A placement run (churn_seconds 0, the shape of Nomad's C1M) has only the
fill, on an empty cluster, timed from the frameworks' subscription until
every task runs.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.load.agents import LoadAgents
from bench.load.frameworks import Demand, LoadFramework
from bench.load.stats import Recorder, percentile, window
from bench.masterproc import MasterProcess

AGENT_CPUS = 4.0
AGENT_MEM = 4096.0
# Churn tasks take a whole cpu (4 per agent); fill tasks a quarter (16 per
# agent, so that 10,000 agents hold 100,000 tasks).
CHURN_CPUS = 1.0
FILL_CPUS = 0.25
ROLES = 4
FILL_TIMEOUT = 600.0
PLACEMENT_PROFILE_SECONDS = 20.0


@dataclass(frozen=True)
class LoadSpec:
    agents: int
    frameworks: int = 8
    # 0: a placement run instead, timing fill_tasks placed on an empty cluster.
    churn_seconds: float = 15.0
    # With 4 tasks per agent, agents * 4 / task_seconds launches/s are asked for.
    task_seconds: float = 1.0
    warmup_seconds: float = 3.0
    fill_tasks: int = 0
    # Where to write a py-spy profile of the master during the window (collapsed stacks).
    profile: Path | None = None


@dataclass(frozen=True)
class LoadResult:
    spec: LoadSpec
    register_seconds: float
    launches_per_second: float
    offer_p50: float
    offer_p99: float
    offer_samples: int
    update_p50: float
    update_p99: float
    update_samples: int
    # Cores the master kept busy during the window (1.0 = one core).
    master_cpu: float
    # Cores this load tool (agents and frameworks) kept busy meanwhile.
    tool_cpu: float
    master_peak_rss: int
    # Fill phase: seconds to launch fill_tasks, and the master's RSS then.
    fill_seconds: float = 0.0
    filled_rss: int = 0
    errors: int = 0
    last_error: str = ""

    @property
    def fill_tasks_per_second(self) -> float:
        return self.spec.fill_tasks / self.fill_seconds if self.fill_seconds else 0.0


async def _run(spec: LoadSpec, directory: Path) -> LoadResult:
    master = MasterProcess(f"sqlite:///{directory / 'master.db'}", directory / "master.log")
    master.start()
    me = psutil.Process()
    recorder = Recorder()
    # Each framework its own demand: work whose accept failed stays with the
    # framework that had it, as in a real one.
    demands = [Demand(spec.task_seconds, CHURN_CPUS) for _ in range(spec.frameworks)]
    agents = LoadAgents(master.address, spec.agents, AGENT_CPUS, AGENT_MEM, recorder)
    frameworks = [
        LoadFramework(master.address, f"load-{i}", f"role{i % ROLES}", demand, recorder)
        for i, demand in enumerate(demands)
    ]
    try:
        register_seconds = await agents.register()
        placing = not spec.churn_seconds
        fill_seconds = 0.0
        if placing:  # C1M's shape: endless tasks placed on an empty cluster
            _want_fill(spec, demands)
        else:
            await asyncio.gather(*(f.start() for f in frameworks))
            await asyncio.sleep(spec.warmup_seconds)
        start, master_cpu, tool_cpu = time.time(), master.cpu_seconds(), _cpu(me)
        profiling = None
        if spec.profile is not None:
            seconds = spec.churn_seconds or PLACEMENT_PROFILE_SECONDS
            profiling = asyncio.create_task(_profile(master.pid, seconds, spec.profile))
        if placing:
            await asyncio.gather(*(f.start() for f in frameworks))
            fill_seconds = await _filled(spec, frameworks, agents, time.perf_counter())
        else:
            await asyncio.sleep(spec.churn_seconds)
        end = time.time()
        if profiling is not None:
            await profiling
        master_cpu = (master.cpu_seconds() - master_cpu) / (end - start)
        tool_cpu = (_cpu(me) - tool_cpu) / (end - start)
        launches = sum(1 for at in recorder.launches if start <= at <= end)
        offers = window(recorder.offer_latencies, start, end)
        updates = window(recorder.update_latencies, start, end)
        filled_rss = 0
        if spec.fill_tasks and not placing:
            _want_fill(spec, demands)
            fill_seconds = await _filled(spec, frameworks, agents, time.perf_counter())
        if spec.fill_tasks:
            filled_rss = master.rss()
        return LoadResult(
            spec=spec,
            register_seconds=register_seconds,
            launches_per_second=launches / (end - start),
            offer_p50=percentile(offers, 50),
            offer_p99=percentile(offers, 99),
            offer_samples=len(offers),
            update_p50=percentile(updates, 50),
            update_p99=percentile(updates, 99),
            update_samples=len(updates),
            master_cpu=master_cpu,
            tool_cpu=tool_cpu,
            master_peak_rss=master.peak_rss(),
            fill_seconds=fill_seconds,
            filled_rss=filled_rss,
            errors=sum(f.errors for f in frameworks),
            last_error=next((f.last_error for f in frameworks if f.last_error), ""),
        )
    finally:
        await asyncio.gather(*(f.close() for f in frameworks))
        await agents.close()
        master.stop()


def _want_fill(spec: LoadSpec, demands: list[Demand]) -> None:
    """Switches the frameworks' demand to `fill_tasks` endless tasks, shared out."""
    share, extra = divmod(spec.fill_tasks, len(demands))
    for i, demand in enumerate(demands):
        demand.switch(math.inf, FILL_CPUS, share + (i < extra))


async def _filled(
    spec: LoadSpec, frameworks: list[LoadFramework], agents: LoadAgents, start: float
) -> float:
    """The seconds since `start` until all fill tasks run (and any churn
    tasks before them have ended) and their frameworks were told so."""
    epoch = str(frameworks[0].demand.epoch)
    while (
        agents.live_tasks != spec.fill_tasks
        or any(f.demand.remaining for f in frameworks)
        or sum(f.running[epoch] for f in frameworks) < spec.fill_tasks
    ):
        if time.perf_counter() - start > FILL_TIMEOUT:
            raise TimeoutError(
                f"{agents.live_tasks} of {spec.fill_tasks} tasks live after {FILL_TIMEOUT}s"
            )
        await asyncio.sleep(0.05)
    return time.perf_counter() - start


async def _profile(pid: int, seconds: float, out: Path) -> None:
    """Samples the master with py-spy for `seconds` (it runs beside the
    master, so the window's figures are a little lower than unprofiled)."""
    spy = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--duration", str(round(seconds)),
        "--format", "raw", "--rate", "200", "--nonblocking", "--output", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await spy.wait()


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def run(spec: LoadSpec) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="offer-load-") as tmp:
        return asyncio.run(_run(spec, Path(tmp)))
