"""The soak (issue 26): a real master (SQLite), two real agents on the
Docker engine and both reference frameworks under steady churn, sampled
over time, to show what grows with the number of tasks ever run.

The churn, as users make it: an app of a few `sleep` instances restarted
every minute (`offerctl app restart`) and scaled between 3 and 5 every 90 s
(`offerctl app scale`); a job of 3 short tasks that offer-batch runs every
5 s (a cron schedule with seconds); `offerctl tasks -o json` and `offerctl
status` run once a second. The agents collect ended tasks' sandboxes after
`--sandbox-gc-delay` (GC_DELAY, short here so that a run shows it).

Every INTERVAL seconds each process is sampled through psutil (resident
memory, open files, threads, CPU), with the databases' files (with their
WAL), the agents' sandbox folders (bytes and how many) and the size of the
last `offerctl tasks -o json`. The bench reports each curve's growth per
hour: the least-squares slope over the second half of the run, so start-up
does not count. It asserts nothing.

Its own footprint is one process that sleeps between commands; whatever
happens (an error, SIGINT, SIGTERM) it stops its daemons, removes the
containers its agents started and deletes its temporary directory.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psutil

from bench.daemons import Daemons
from bench.engine import IMAGE

ROOT = Path(__file__).resolve().parent.parent
CSV_OUT = ROOT / "bench" / "results" / "soak.csv"
AGENTS = 2
AGENT_RESOURCES = "cpus:2;mem:1024"
GC_DELAY = "60"
RESTART_EVERY = 60.0
SCALE_EVERY = 90.0
QUERY_EVERY = 1.0
INSTANCES = (3, 5)

# The quantities sampled, in the plot's panel order.
RSS = "RSS (MiB)"
FILES = "open files"
THREADS = "threads"
CPU = "CPU (cores)"
DATABASE = "database (MB)"
WAL = "database WAL (MB)"
SANDBOX_MB = "sandboxes (MB)"
SANDBOXES = "sandboxes (folders)"
TASKS_JSON = "offerctl tasks -o json (KB)"
TASKS_LISTED = "tasks listed"
# Growth per hour that a run of minutes cannot tell from noise: a few MiB
# of allocator slack, a pool's thread or file coming and going, the CPU of
# a machine shared with other work.
NOISE_PER_HOUR = {RSS: 5.0, FILES: 2.0, THREADS: 2.0, CPU: 0.02, SANDBOX_MB: 0.01}
QUANTITIES = (
    RSS,
    FILES,
    THREADS,
    CPU,
    DATABASE,
    WAL,
    SANDBOX_MB,
    SANDBOXES,
    TASKS_JSON,
    TASKS_LISTED,
)

APP = "soak"
JOB = "tick"
APP_SPEC = f"""\
id: {APP}
image: {IMAGE}
cmd: [sleep, '3600']
cpus: 0.1
mem: 32
instances: {INSTANCES[0]}
backoff_seconds: 0
kill_grace_seconds: 0
"""
JOB_SPEC = f"""\
name: {JOB}
image: {IMAGE}
cmd: echo tick; sleep 1
cpus: 0.1
mem: 32
completions: 3
parallelism: 3
schedule: '* * * * * */5'
concurrency_policy: forbid
kill_grace_seconds: 0
"""


@dataclass(frozen=True)
class Growth:
    process: str
    quantity: str
    # The curve's mean over the first and the second half of the run.
    first_half: float
    second_half: float
    # Least-squares slope over the second half, per hour.
    per_hour: float

    @property
    def levels_off(self) -> bool:
        """Grows by less than a tenth of its level per hour, or by less than
        the quantity's noise (NOISE_PER_HOUR): a short run's slope of a
        flat but jittery curve is not growth. A falling curve levels off."""
        allowed = max(0.1 * abs(self.second_half), NOISE_PER_HOUR.get(self.quantity, 0.0))
        return self.per_hour <= allowed


@dataclass(frozen=True)
class SoakResult:
    seconds: float
    interval: float
    # (seconds since the churn began, process, quantity, value)
    rows: tuple[tuple[float, str, str, float], ...]
    restarts: int
    scales: int
    queries: int
    # offerctl commands that exited non-zero or timed out.
    failed_commands: int
    csv: Path

    def growth(self) -> list[Growth]:
        series: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for t, process, quantity, value in self.rows:
            series.setdefault((process, quantity), []).append((t, value))
        half = self.seconds / 2
        found = []
        for (process, quantity), points in series.items():
            late = [(t, v) for t, v in points if t >= half]
            early = [v for t, v in points if t < half]
            if len(late) < 2 or not early:
                continue
            slope = statistics.linear_regression([t for t, _ in late], [v for _, v in late]).slope
            mean_late = statistics.fmean(v for _, v in late)
            found.append(
                Growth(process, quantity, statistics.fmean(early), mean_late, slope * 3600)
            )
        order = {q: i for i, q in enumerate(QUANTITIES)}
        return sorted(found, key=lambda g: (order[g.quantity], g.process))


# The master's bound on ended tasks per framework during the soak.
KEPT_TASKS = 20


def _daemons(root: Path) -> Daemons:
    return Daemons(
        root,
        AGENTS,
        ["--resources", AGENT_RESOURCES, "--sandbox-gc-delay", GC_DELAY],
        # Small enough that a run of minutes reaches it, as weeks of churn
        # reach the default 1000: the curves must level off there.
        ["--max-completed-tasks-per-framework", str(KEPT_TASKS)],
    )


def _files_size(*paths: Path) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            total += path.stat().st_size
    return total


def _sandboxes(work_dir: Path) -> tuple[int, int]:
    """(bytes, folders) of an agent's sandboxes (sandboxes/FRAMEWORK/TASK)."""
    folders = 0
    size = 0
    for framework in _listdir(work_dir / "sandboxes"):
        for task in _listdir(framework):
            folders += 1
            for root, _, files in os.walk(task):
                size += _files_size(*(Path(root) / f for f in files))
    return size, folders


def _listdir(path: Path) -> Iterator[Path]:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        yield from list(path.iterdir())


class _Sampler:
    """Samples every process and file of interest, once per call."""

    def __init__(self, daemons: Daemons) -> None:
        self._daemons = daemons
        self._procs = daemons.processes()
        self._cpu: dict[str, tuple[float, float]] = {}
        self.rows: list[tuple[float, str, str, float]] = []
        self.tasks_json = ""

    def sample(self, t: float) -> None:
        add = self.rows.append
        for name, proc in self._procs.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu = times.user + times.system
                    add((t, name, RSS, proc.memory_info().rss / 2**20))
                    add((t, name, FILES, float(proc.num_fds())))
                    add((t, name, THREADS, float(proc.num_threads())))
                if name in self._cpu:
                    t0, cpu0 = self._cpu[name]
                    add((t, name, CPU, (cpu - cpu0) / (t - t0)))
                self._cpu[name] = (t, cpu)
        root = self._daemons.root
        for name, db in (("master", "master"), ("service", "service"), ("batch", "batch")):
            # Apart: SQLite's WAL fills to about 4 MB (its autocheckpoint)
            # and is then reused, which would hide the main file's growth.
            add((t, name, DATABASE, _files_size(root / f"{db}.db") / 1e6))
            add((t, name, WAL, _files_size(root / f"{db}.db-wal") / 1e6))
        for n, work_dir in enumerate(self._daemons.agent_dirs, 1):
            size, folders = _sandboxes(work_dir)
            add((t, f"agent{n}", SANDBOX_MB, size / 1e6))
            add((t, f"agent{n}", SANDBOXES, float(folders)))
        if self.tasks_json:
            add((t, "offerctl", TASKS_JSON, len(self.tasks_json.encode()) / 1e3))
            with contextlib.suppress(ValueError):
                listed = json.loads(self.tasks_json)
                if isinstance(listed, dict):
                    listed = listed.get("tasks", [])
                add((t, "master", TASKS_LISTED, float(len(listed))))


@dataclass
class _Counts:
    restarts: int = 0
    scales: int = 0
    queries: int = 0
    failed: int = 0


def _churn(daemons: Daemons, sampler: _Sampler, seconds: float, interval: float) -> _Counts:
    counts = _Counts()

    def run(*args: str, stdin: str | None = None) -> str:
        done = daemons.offerctl(*args, stdin=stdin)
        if done.returncode != 0:
            counts.failed += 1
            print(f"soak: offerctl {' '.join(args)}: {done.stderr.strip()}", file=sys.stderr)
        return done.stdout

    run("app", "deploy", "-", stdin=APP_SPEC)
    run("job", "submit", "-", stdin=JOB_SPEC)
    start = time.monotonic()
    due = {"sample": 0.0, "query": 0.0, "restart": RESTART_EVERY, "scale": SCALE_EVERY}
    every = {"sample": interval, "query": QUERY_EVERY, "restart": RESTART_EVERY}
    every["scale"] = SCALE_EVERY
    while (t := time.monotonic() - start) < seconds:
        if t >= due["sample"]:
            sampler.sample(t)
        if t >= due["query"]:
            sampler.tasks_json = run("tasks", "-o", "json") or sampler.tasks_json
            run("status")
            counts.queries += 1
        if t >= due["restart"]:
            run("app", "restart", APP)
            counts.restarts += 1
        if t >= due["scale"]:
            counts.scales += 1
            run("app", "scale", APP, str(INSTANCES[counts.scales % 2]))
        for what, at in due.items():
            if t >= at:  # the next one a period on, not a burst to catch up
                due[what] = max(at + every[what], t)
        time.sleep(max(0.0, min(due.values()) - (time.monotonic() - start)))
    sampler.sample(time.monotonic() - start)
    return counts


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(quick: bool) -> SoakResult:
    default = 120.0 if quick else 600.0
    seconds = float(os.environ.get("SOAK_SECONDS", "") or default)
    interval = float(os.environ.get("SOAK_INTERVAL", "") or (2.0 if quick else 5.0))
    os.environ.setdefault("OFFER_HTTP_PORT", "0")
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with tempfile.TemporaryDirectory(prefix="offer-soak-") as tmp:
            daemons = _daemons(Path(tmp))
            try:
                daemons.start()
                sampler = _Sampler(daemons)
                counts = _churn(daemons, sampler, seconds, interval)
            except Exception:
                for name in ("master", *daemons.procs):
                    print(f"--- {name}.log\n{daemons.log_tail(name)}", file=sys.stderr)
                raise
            finally:
                daemons.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    rows = tuple(sampler.rows)
    _write_csv(rows, CSV_OUT)
    return SoakResult(
        seconds,
        interval,
        rows,
        counts.restarts,
        counts.scales,
        counts.queries,
        counts.failed,
        CSV_OUT,
    )


def _write_csv(rows: tuple[tuple[float, str, str, float], ...], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["seconds", "process", "quantity", "value"])
        writer.writerows((f"{t:.1f}", p, q, f"{v:.4g}") for t, p, q, v in rows)


def _figure(value: float) -> str:
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def report(result: SoakResult) -> list[str]:
    minutes = result.seconds / 60
    lines = [
        "## Soak",
        "",
        f"A real master (SQLite), two real agents (`--sandbox-gc-delay {GC_DELAY}`) and both "
        f"frameworks for {minutes:.0f} minutes of steady churn (`BENCH_ONLY=soak make bench`, "
        "bench/soak_bench.py; `SOAK_SECONDS` sets the length): an app of 3 to 5 `sleep` "
        f"instances restarted every {RESTART_EVERY:g} s ({result.restarts} restarts) and "
        f"scaled every {SCALE_EVERY:g} s ({result.scales}), a job of 3 one-second tasks every "
        f"5 s, `offerctl tasks -o json` then `offerctl status` every second, or at once when "
        f"the pair took longer ({result.queries} pairs; {result.failed_commands} offerctl "
        "commands failed). Every process is sampled "
        f"every {result.interval:g} s; growth per hour is the least-squares slope over the "
        "second half of the run, so start-up does not count. A database is its main file; "
        "its WAL is apart. A curve *levels off* here when "
        "that slope is under a tenth of its level per hour (or under the noise of a short "
        "run: 5 MiB, 2 files or threads, 0.02 cores, 0.01 MB of sandboxes per hour). CPU "
        "is the machine's, shared with other work: its absolute figures are noisy. The "
        "samples are in "
        f"{result.csv.relative_to(ROOT)}.",
        "",
        "| process | quantity | first half | second half | growth per hour | levels off |",
        "|---|---|---|---|---|---|",
    ]
    for g in result.growth():
        lines.append(
            f"| {g.process} | {g.quantity} | {_figure(g.first_half)} | "
            f"{_figure(g.second_half)} | {g.per_hour:+,.3g} | "
            f"{'yes' if g.levels_off else '**no**'} |"
        )
    lines += ["", "![The soak's curves over time](soak.png)", ""]
    return lines


if __name__ == "__main__":
    from bench import plots

    soak = run(quick="--quick" in sys.argv)
    plots.soak(soak.rows, QUANTITIES, ROOT / "docs" / "soak.png")
    print("\n".join(report(soak)))
