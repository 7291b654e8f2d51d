"""Revocable resources (issue 24): what lending services' idle allocation
to batch work buys, measured on a real cluster.

One real agent (2 cpus) runs a service that asks for far more than it uses
(offer-service: two `sleep` instances of 0.8 cpus each, 1.6 of the 2), so
only 0.4 cpus are ever offered. Beside it, offer-batch runs the same
CPU-bound job twice over: once `revocable: false` (its tasks fit only in
what is unallocated) and once `revocable: true` (they also run on the
slack the agent measures in the service's allocation). Rounds alternate
(ABBA), so a drift of the shared machine falls on both kinds.

Per run: its completion time (from `offerctl job run` to its last task
FINISHED), the cluster's measured CPU use meanwhile (the sum of every
running task's use as its agent reports it, sampled from the master twice
a second), and how many tasks were preempted. It asserts nothing.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from bench.daemons import Daemons
from bench.engine import IMAGE
from offer.v1 import common_pb2, operator_pb2, operator_pb2_grpc

AGENT_CPUS = 2.0
SERVICE_INSTANCES = 2
SERVICE_CPUS = 0.8
TASK_CPUS = 0.2
USAGE_INTERVAL = "0.5"
# Long enough for the agent's estimate to reach most of the slack (it grows
# by a quarter of the gap each usage interval).
SLACK_SETTLE_SECONDS = 8.0
SAMPLE_EVERY = 0.5
RUN_TIMEOUT = 600.0

APP = f"""
id: api
image: {IMAGE}
cmd: sleep 100000
cpus: {SERVICE_CPUS}
mem: 256
instances: {SERVICE_INSTANCES}
kill_grace_seconds: 0.2
"""


def _job(name: str, revocable: bool, tasks: int, iterations: int) -> str:
    # A fixed amount of work per task (busybox's shell counting), so that a
    # task's time is what CPU it gets: each is limited to TASK_CPUS.
    return f"""
name: {name}
image: {IMAGE}
cmd: i=0; while [ $i -lt {iterations} ]; do i=$((i+1)); done
cpus: {TASK_CPUS}
mem: 32
completions: {tasks}
parallelism: {tasks}
retries: 0
revocable: {"true" if revocable else "false"}
kill_grace_seconds: 0.2
"""


@dataclass(frozen=True)
class Run:
    revocable: bool
    seconds: float
    # Mean cores used by all running tasks (service and batch) during the run.
    cluster_cpu: float
    # Mean cores used by the run's own tasks.
    batch_cpu: float
    preempted: int
    on_loan: int
    # The most of its tasks seen running at once.
    peak: int


@dataclass(frozen=True)
class RevocableResult:
    tasks: int
    iterations: int
    runs: tuple[Run, ...]

    def of(self, revocable: bool) -> list[Run]:
        return [r for r in self.runs if r.revocable == revocable]


class _Master:
    """The master's Operator API, asked directly (no offerctl process in
    the loop that samples)."""

    def __init__(self, address: str) -> None:
        self._channel = grpc.insecure_channel(address)
        self._stub = operator_pb2_grpc.OperatorStub(self._channel)

    def tasks(self) -> list[operator_pb2.TaskSummary]:
        found: list[operator_pb2.TaskSummary] = []
        token = ""
        while True:
            page = self._stub.ListTasks(operator_pb2.ListTasksRequest(page_token=token), timeout=10)
            found += page.tasks
            token = page.next_page_token
            if not token:
                return found

    def close(self) -> None:
        self._channel.close()


def _one_run(daemons: Daemons, master: _Master, job: str, revocable: bool, tasks: int) -> Run:
    started = daemons.offerctl("job", "run", job)
    if started.returncode != 0:
        raise RuntimeError(f"offerctl job run {job}: {started.stderr.strip()}")
    began = time.monotonic()
    run_id = started.stdout.split()[1]  # "run NAME-N started"
    mine = f"{run_id}."
    cluster: list[float] = []
    batch: list[float] = []
    peak = 0
    while True:
        listed = master.tasks()
        running = [t for t in listed if t.status.state == common_pb2.TASK_RUNNING]
        cluster.append(sum(t.usage.cpus_used for t in running))
        batch.append(sum(t.usage.cpus_used for t in running if t.task_id.startswith(mine)))
        ours = [t for t in listed if t.task_id.startswith(mine)]
        peak = max(peak, sum(1 for t in running if t.task_id.startswith(mine)))
        if sum(1 for t in ours if t.status.state == common_pb2.TASK_FINISHED) >= tasks:
            seconds = time.monotonic() - began
            break
        if time.monotonic() - began > RUN_TIMEOUT:
            raise TimeoutError(f"run {run_id} did not end within {RUN_TIMEOUT:g} s")
        time.sleep(SAMPLE_EVERY)
    preempted = sum(1 for t in ours if t.status.reason == common_pb2.REASON_PREEMPTED)
    return Run(
        revocable,
        seconds,
        statistics.fmean(cluster),
        statistics.fmean(batch),
        preempted,
        sum(1 for t in ours if t.revocable),
        peak,
    )


def run(quick: bool) -> RevocableResult:
    tasks, iterations = (6, 400_000) if quick else (10, 600_000)
    order = (False, True) if quick else (False, True, True, False)
    with tempfile.TemporaryDirectory(prefix="offer-revocable-") as tmp:
        daemons = Daemons(
            Path(tmp),
            1,
            [
                *("--resources", f"cpus:{AGENT_CPUS:g};mem:2048"),
                *("--usage-interval", USAGE_INTERVAL),
            ],
        )
        master: _Master | None = None
        try:
            daemons.start()
            master = _Master(daemons.master.address)
            for args, stdin in (
                (("app", "deploy", "-", "--wait", "--timeout", "120"), APP),
                (("job", "submit", "-"), _job("plain", False, tasks, iterations)),
                (("job", "submit", "-"), _job("lent", True, tasks, iterations)),
            ):
                done = daemons.offerctl(*args, stdin=stdin)
                if done.returncode != 0:
                    raise RuntimeError(f"offerctl {' '.join(args)}: {done.stderr.strip()}")
            time.sleep(SLACK_SETTLE_SECONDS)
            runs = tuple(
                _one_run(daemons, master, "lent" if lent else "plain", lent, tasks)
                for lent in order
            )
        except Exception:
            for name in ("master", *daemons.procs):
                print(f"--- {name}.log\n{daemons.log_tail(name)}", file=sys.stderr)
            raise
        finally:
            if master is not None:
                master.close()
            daemons.stop()
    return RevocableResult(tasks, iterations, runs)


def report(result: RevocableResult) -> list[str]:
    plain, lent = result.of(False), result.of(True)

    def mean(runs: list[Run], field: str) -> float:
        return statistics.fmean(getattr(r, field) for r in runs)

    lines = [
        "## Revocable resources: batch work on services' idle allocation",
        "",
        f"One agent of {AGENT_CPUS:g} cpus; a service (offer-service) of "
        f"{SERVICE_INSTANCES} instances of {SERVICE_CPUS:g} cpus each that sleep, so "
        f"{AGENT_CPUS - SERVICE_INSTANCES * SERVICE_CPUS:g} cpus are ever offered; a job "
        f"(offer-batch) of {result.tasks} tasks of {TASK_CPUS:g} cpus, each counting to "
        f"{result.iterations:,} in busybox's shell. The same job with `revocable: false` "
        "and `revocable: true`, in alternating rounds of one run "
        "(bench/revocable_bench.py). CPU use is the sum of the running tasks' use as "
        f"their agent reports it (every {USAGE_INTERVAL} s), sampled from the master "
        f"every {SAMPLE_EVERY:g} s.",
        "",
        "| round | revocable | completion (s) | cluster CPU used (cores) | of which the job |"
        " most tasks at once | tasks on a loan | preempted |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, r in enumerate(result.runs, 1):
        lines.append(
            f"| {n} | {'yes' if r.revocable else 'no'} | {r.seconds:.1f} | "
            f"{r.cluster_cpu:.2f} ({100 * r.cluster_cpu / AGENT_CPUS:.0f} %) | "
            f"{r.batch_cpu:.2f} | {r.peak} | {r.on_loan} | {r.preempted} |"
        )
    if plain and lent:
        speedup = mean(plain, "seconds") / mean(lent, "seconds")
        use = mean(lent, "cluster_cpu") / max(mean(plain, "cluster_cpu"), 1e-9)
        lines += [
            "",
            f"With revocable resources the job completed **{speedup:.1f}x** sooner "
            f"(mean {mean(lent, 'seconds'):.1f} s against {mean(plain, 'seconds'):.1f} s) "
            f"and the cluster's measured CPU use was **{use:.1f}x** as high "
            f"({mean(lent, 'cluster_cpu'):.2f} against {mean(plain, 'cluster_cpu'):.2f} "
            f"cores of {AGENT_CPUS:g}), with the service's allocation untouched.",
        ]
    return [*lines, ""]
