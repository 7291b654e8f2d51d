"""`make bench`: runs every benchmark and writes docs/performance.md with
its plots (docs/*.png).

BENCH_QUICK=1 runs smaller sizes. BENCH_ONLY=containers runs only the real
containers section (with offerctl's) and prints it, leaving
docs/performance.md as it is; BENCH_ONLY=multihost does the same for the
three-host section (needs root and Debian's docker-registry);
BENCH_ONLY=store the state store and recovery on SQLite and on PostgreSQL
(Debian's postgresql, `make engine` installs it); BENCH_ONLY=failover the
master failover on PostgreSQL; BENCH_ONLY=metrics the cost of scraping
the master's /metrics; BENCH_ONLY=revocable a batch job with and without
revocable resources beside a service; BENCH_ONLY=soak the soak (SOAK_SECONDS long: 600 s,
120 s with BENCH_QUICK=1), writing docs/soak.png. Benchmarks report; they never assert.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

import psutil

from bench import (
    allocator_bench,
    containers_bench,
    failover_bench,
    metrics_bench,
    multihost_bench,
    pgserver,
    plots,
    recovery_bench,
    report,
    revocable_bench,
    soak_bench,
    store_bench,
)
from bench.load.run import LoadSpec
from bench.load.run import run as run_load
from offer.localcluster.hosts import needs_root_problem

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
OUT = DOCS / "performance.md"
# What profiling found and what was changed, with before/after figures.
PROFILING_NOTES = Path(__file__).with_name("profiling.md")

_A = TypeVar("_A")
_R = TypeVar("_R")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}"
    )


def load_specs(quick: bool) -> list[LoadSpec]:
    """Rate runs: the same demand per agent (4 tasks) at every size, asking
    4,000 launches/s (at 10,000 agents tasks run 10 s). Then latency runs at
    1,000 agents asked for 400 and 200 launches/s: offer latency is judged
    where the master keeps up, not where it measures a queue."""
    if quick:
        rate = [
            LoadSpec(200, churn_seconds=8, task_seconds=1.0),
            LoadSpec(1000, churn_seconds=8, task_seconds=1.0),
        ]
    else:
        rate = [LoadSpec(1000, task_seconds=1.0), LoadSpec(10_000, task_seconds=10.0)]
    window = 8 if quick else 15
    latency = [LoadSpec(1000, churn_seconds=window, task_seconds=t) for t in (10.0, 20.0)]
    return [*rate, *latency]


def placement_specs(quick: bool) -> list[LoadSpec]:
    """Nomad C1M's shape: endless tasks placed on an empty cluster, 16 to an
    agent, at both sizes the launch-rate target is read at."""
    small = LoadSpec(1000, churn_seconds=0, fill_tasks=16_000)
    return [small] if quick else [small, LoadSpec(10_000, churn_seconds=0, fill_tasks=100_000)]


# How many of load_specs' runs, from the end, are latency runs.
LATENCY_RUNS = 2


def isolated(run: Callable[[_A], _R], arg: _A) -> _R:
    """`run(arg)` in a fresh Python process. grpc's asyncio support binds to
    the first event loop of a process: each asyncio.run after it flooded the
    log with "Event loop is closed" from grpc's poller and left it
    half-attached to a dead loop, under the very clients being measured."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run, arg).result()


def step(name: str) -> float:
    print(f"{name} ...", file=sys.stderr, flush=True)
    return time.perf_counter()


def store_on_postgresql(
    quick: bool,
    sqlite_store: list[store_bench.StoreResult] | None = None,
    sqlite_recovery: recovery_bench.RecoveryResult | None = None,
) -> list[str]:
    """The section comparing the stores on SQLite and on PostgreSQL (SQLite's
    runs measured here unless given), or one line saying why it cannot run."""
    if problem := pgserver.postgres_problem():
        return ["## The state store on PostgreSQL", "", f"Not measured: {problem}.", ""]
    step("state store and recovery on PostgreSQL")
    stores = [sqlite_store or store_bench.run(quick), store_bench.run(quick, "postgresql")]
    recoveries = [
        sqlite_recovery or isolated(recovery_bench.run, quick),
        isolated(recovery_bench.run_postgresql, quick),
    ]
    return report.store_on_postgresql(stores, recoveries)


def failover(quick: bool) -> list[str]:
    """The master failover section, or one line saying why it cannot run."""
    if problem := pgserver.postgres_problem():
        return ["## Master failover on PostgreSQL", "", f"Not measured: {problem}.", ""]
    step("master failover on PostgreSQL")
    return [failover_bench.report(isolated(failover_bench.run, quick)), ""]


def report_metrics(quick: bool) -> list[str]:
    """The cost of metrics: the master's launch rate scraped and not."""
    return metrics_bench.report(isolated(metrics_bench.run, quick))


def soak(quick: bool) -> list[str]:
    """The soak section, its CSV under bench/results and docs/soak.png."""
    step("soak: master, two agents and both frameworks under steady churn")
    result = soak_bench.run(quick)
    DOCS.mkdir(exist_ok=True)
    plots.soak(result.rows, soak_bench.QUANTITIES, DOCS / "soak.png")
    return soak_bench.report(result)


def revocable(quick: bool) -> list[str]:
    """Batch work with and without revocable resources beside a service."""
    step("revocable resources: a batch job with and without the services' slack")
    return revocable_bench.report(revocable_bench.run(quick))


def multihost_section(quick: bool) -> list[str]:
    step("real containers on three hosts (offer-service, Swarm)")
    return report.multihost(multihost_bench.run(quick))


def metrics_section(quick: bool) -> list[str]:
    step("the master's launch rate, scraped and not")
    return report_metrics(quick)


# The sections BENCH_ONLY runs by themselves, each printed with how and
# where it was measured.
ALONE: dict[str, Callable[[bool], list[str]]] = {
    "multihost": multihost_section,
    "store": lambda quick: store_on_postgresql(quick),
    "failover": failover,
    "metrics": metrics_section,
    "soak": soak,
    "revocable": revocable,
}


def run_alone(only: str, quick: bool) -> None:
    load = os.getloadavg()[0]
    print("\n".join(ALONE[only](quick)))
    postgresql = f"; PostgreSQL {pgserver.major_version()}" if only == "store" else ""
    print(
        f"Measured by `BENCH_ONLY={only} make bench` on {datetime.date.today()}"
        f"{' (BENCH_QUICK=1)' if quick else ''}; load average {load:.0f} before and "
        f"{os.getloadavg()[0]:.0f} after. Machine: {machine()}{postgresql}."
    )


def main() -> None:
    # Every daemon a bench starts serves HTTP on a free port of its own.
    os.environ.setdefault("OFFER_HTTP_PORT", "0")
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    only = os.environ.get("BENCH_ONLY", "")
    if only in ALONE:
        run_alone(only, quick)
        return
    began = step("real containers (private Docker engine, Swarm, offer-service, offerctl)")
    containers, user = containers_bench.run(quick)
    if only == "containers":
        print("\n".join([*report.containers(containers), *report.user_level(user)]))
        return
    step("real containers on three hosts (offer-service, Swarm)")
    # Its hosts need root and Debian's docker-registry; without them the
    # section says so and the rest still runs.
    cannot = needs_root_problem()
    multihost = cannot or multihost_bench.run(quick)
    step("the master at scale (load agents and frameworks)")
    loads = [isolated(run_load, spec) for spec in load_specs(quick)]
    placements = [isolated(run_load, spec) for spec in placement_specs(quick)]
    step("recovery and memory")
    recovery = isolated(recovery_bench.run, quick)
    step("allocator")
    alloc = allocator_bench.run(quick)
    step("state store")
    store = store_bench.run(quick)
    on_postgresql = store_on_postgresql(quick, store, recovery)
    failovers = failover(quick)
    step("the master's launch rate, scraped and not")
    metrics = report_metrics(quick)
    lent = revocable(quick)
    soaked = soak(quick)

    DOCS.mkdir(exist_ok=True)
    rate_runs = loads[:-LATENCY_RUNS]
    plots.launch_rate(
        rate_runs,
        placements,
        report.TARGET_LAUNCHES,
        report.NOMAD_C1M_RATE,
        DOCS / "launch-rate.png",
    )
    plots.allocation_time(alloc, report.MESOS_10K_CYCLE, DOCS / "allocation-time.png")
    minutes = (time.perf_counter() - began) / 60
    lines = [
        "# Performance",
        "",
        f"Written by `make bench` on {datetime.date.today()}"
        f"{' (BENCH_QUICK=1: smaller sizes)' if quick else ''}, in {minutes:.1f} minutes.",
        f"Machine: {machine()}.",
        "",
        "Every ratio compares figures measured side by side in the same run, except",
        "where an anchor is another system's published or hand-measured figure. The",
        "machine is shared and noisy: repeat runs differ by tens of percent.",
        "",
        *report.containers(containers),
        *report.user_level(user),
        *report.multihost(multihost),
        *report.load(loads, placements),
        *report.allocator(alloc),
        *report.recovery(recovery),
        *report.store(store),
        *on_postgresql,
        *failovers,
        *metrics,
        *lent,
        *soaked,
        PROFILING_NOTES.read_text(),
    ]
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"\nwritten to {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
