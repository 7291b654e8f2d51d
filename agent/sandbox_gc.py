"""Sandbox garbage collection: the output an ended task left in
`sandboxes/FRAMEWORK/TASK/` is deleted once it is `--sandbox-gc-delay` old,
and sooner, oldest first, while the work dir's filesystem is fuller than
`--sandbox-gc-disk-threshold` (Mesos's gc_delay and disk headroom). The
sandbox of a live task is never deleted.

The decision (`choose`, `next_due`) is pure: sandboxes, their ages and
sizes, liveness, disk usage and the time in, what to delete out. `SandboxGc`
is the I/O around it: it scans the sandboxes once at start (a task's
sandbox is written when it ends, so its output's mtime is when it ended,
and a restarted agent schedules what it finds by that age), learns of later
ends from the daemon, deletes in a thread, and writes each deletion to a
bounded journal so that a request for a collected task's output can say
what became of it, across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.metrics import AgentMetrics
from offer.clock import Clock, SystemClock

log = logging.getLogger(__name__)

DEFAULT_DELAY = 7 * 86400.0
DEFAULT_DISK_THRESHOLD = 90.0
# How often disk usage is looked at when no sandbox falls due sooner
# (Mesos's disk_watch_interval is one minute too).
DISK_WATCH_INTERVAL = 60.0
# Sandboxes deleted per hop to a thread: a pass of thousands (after a long
# outage, or a full disk) lets the loop and log requests in between.
DELETE_BATCH = 200
# Deletions remembered in the journal, so that `offerctl logs` can say why
# an output is gone; it is cut back to this many when twice as long.
JOURNAL_KEEP = 20_000
OUTPUT = "output.log"
# After a pass that failed (the disk unreadable, say): not at once again.
RETRY_AFTER = 10.0

Reason = Literal["delay", "disk"]
Key = tuple[str, str]

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhdw]?)")


def parse_duration(text: str) -> float:
    """Seconds from '90', '2.5', '30s', '12h', '7d', '1w' or a sum such as
    '1h30m'. Raises ValueError for anything else, or a negative time."""
    spaced = text.strip().lower()
    pieces = _DURATION.findall(spaced)
    if not spaced or "".join(n + u for n, u in pieces) != spaced:
        raise ValueError(f"{text!r} is not a duration: seconds, or e.g. 30s, 30m, 12h, 7d, 1h30m")
    if len(pieces) > 1 and any(unit == "" for _, unit in pieces):
        raise ValueError(f"{text!r}: give every part of a sum a unit, e.g. 1h30m")
    return sum(float(number) * _UNITS[unit] for number, unit in pieces)


def format_duration(seconds: float) -> str:
    """The largest whole unit up to days that says it exactly: 604800 ->
    '7d', 5400 -> '90m', 90 -> '90s'."""
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


# ------------------------------------------------------------- the decision


@dataclass(frozen=True, slots=True)
class Sandbox:
    framework_id: str
    task_id: str
    # When its task ended (Unix seconds): when its output was written.
    ended_at: float
    # Bytes it holds on disk.
    size: int
    # Its task runs (a task id used again): never deleted.
    live: bool = False


@dataclass(frozen=True, slots=True)
class Disk:
    """The work dir's filesystem, as df sees it: used + free is what the
    unprivileged can have, so that its percentage is df's Use%."""

    used: int
    free: int

    @property
    def percent(self) -> float:
        whole = self.used + self.free
        return 100.0 * self.used / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class GcPolicy:
    # Seconds an ended task's sandbox is kept.
    delay: float = DEFAULT_DELAY
    # Percent of the filesystem above which sandboxes go before their delay.
    disk_threshold: float = DEFAULT_DISK_THRESHOLD

    def excess(self, disk: Disk) -> float:
        """Bytes to free to be back at the threshold (<= 0: none)."""
        return disk.used - self.disk_threshold / 100.0 * (disk.used + disk.free)


@dataclass(frozen=True, slots=True)
class Collect:
    sandbox: Sandbox
    # delay: it was older than the delay; disk: the disk was too full.
    reason: Reason


def choose(
    oldest_first: Iterable[Sandbox], now: float, policy: GcPolicy, disk: Disk
) -> list[Collect]:
    """The sandboxes to delete now: every ended task's that is `delay` old,
    then, while the disk stays above the threshold (counting what those
    free), the oldest others until it would not. Live tasks' sandboxes are
    never chosen. `oldest_first` is read only as far as needed: past the
    last sandbox due, it stops as soon as the disk is no longer over."""
    excess = policy.excess(disk)
    chosen: list[Collect] = []
    for sandbox in oldest_first:
        if sandbox.live:
            continue
        if now - sandbox.ended_at >= policy.delay:
            chosen.append(Collect(sandbox, "delay"))
        elif excess > 0:
            chosen.append(Collect(sandbox, "disk"))
        else:
            break
        excess -= sandbox.size
    return chosen


def next_due(oldest_first: Iterable[Sandbox], policy: GcPolicy) -> float | None:
    """When the oldest sandbox not of a live task reaches its delay (None: no such sandbox)."""
    for sandbox in oldest_first:
        if not sandbox.live:
            return sandbox.ended_at + policy.delay
    return None


# ---------------------------------------------------------------- the I/O


def measure_disk(path: Path) -> Disk:
    """The filesystem of `path`, or of its nearest folder that exists."""
    while not path.exists() and path.parent != path:
        path = path.parent
    usage = shutil.disk_usage(path)
    return Disk(usage.used, usage.free)


@dataclass(frozen=True, slots=True)
class Gone:
    """What the journal says of a collected sandbox."""

    reason: Reason
    collected_at: float


class SandboxGc:
    """Deletes ended tasks' sandboxes under `root` by `policy` (see the
    module docstring). `live(framework_id, task_id)` says whether a task
    runs; `run()` must not start before it knows every task the agent has
    (a restarted agent adopts its containers first)."""

    def __init__(
        self,
        root: Path,
        journal: Path,
        policy: GcPolicy,
        live: Callable[[str, str], bool],
        *,
        clock: Clock | None = None,
        disk: Callable[[Path], Disk] = measure_disk,
        metrics: AgentMetrics | None = None,
    ) -> None:
        self.root = root
        self.journal = journal
        self.policy = policy
        self._live = live
        self._clock: Clock = clock or SystemClock()
        self._disk = disk
        self._metrics = metrics or AgentMetrics()
        # (framework, task) -> (ended_at, size), in the order tasks ended:
        # iteration is oldest first. Ends notified close together may be a
        # little out of order; that only delays a deletion to the next pass.
        self._index: dict[Key, tuple[float, int]] = {}
        self._scanned = False
        self._ended: set[Key] = set()
        self._wake = asyncio.Event()
        self._journal_lines = 0
        self._over_warned = False

    @property
    def count(self) -> int:
        """Sandboxes known on disk (the offer_agent_sandboxes gauge)."""
        return len(self._index)

    def task_ended(self, framework_id: str, task_id: str) -> None:
        """A task ended: its sandbox (if it kept output) is scheduled."""
        self._ended.add((framework_id, task_id))
        self._wake.set()

    async def run(self) -> None:
        """Collects until cancelled: at each sandbox's due time, at least
        every DISK_WATCH_INTERVAL, and whenever a task ends."""
        while True:
            try:
                await self.collect()
            except Exception:
                log.exception("sandbox garbage collection failed; trying again later")
                await self._sleep(RETRY_AFTER)
                continue
            due = next_due(self._sandboxes(), self.policy)
            now = self._clock()
            wait = DISK_WATCH_INTERVAL if due is None else min(DISK_WATCH_INTERVAL, due - now)
            await self._sleep(max(0.0, wait))

    async def collect(self) -> list[Collect]:
        """One pass: learns new sandboxes, deletes what `choose` says, and
        returns what it deleted."""
        if not self._scanned:
            found = await asyncio.to_thread(_scan, self.root)
            self._journal_lines = await asyncio.to_thread(_count_lines, self.journal)
            # Ends notified during the scan are looked at next, after it.
            for key, (ended_at, size) in found:
                self._add(key, ended_at, size)
            self._scanned = True
        if self._ended:
            ended, self._ended = self._ended, set()
            for key, seen in await asyncio.to_thread(_look, self.root, ended):
                self._index.pop(key, None)
                if seen is not None:
                    self._add(key, *seen)
        disk = await asyncio.to_thread(self._disk, self.root)
        chosen = choose(self._sandboxes(), self._clock(), self.policy, disk)
        self._note_disk(disk, chosen)
        for start in range(0, len(chosen), DELETE_BATCH):
            batch = chosen[start : start + DELETE_BATCH]
            await asyncio.to_thread(self._delete, batch, self._clock())
            for c in batch:
                self._index.pop((c.sandbox.framework_id, c.sandbox.task_id), None)
                self._metrics.sandboxes_collected.labels(c.reason).inc()
        if chosen:
            log.info(
                "sandbox garbage collection deleted %d sandbox(es) of ended tasks "
                "(%d by --sandbox-gc-delay %s, %d for disk space); %d kept",
                len(chosen),
                sum(1 for c in chosen if c.reason == "delay"),
                format_duration(self.policy.delay),
                sum(1 for c in chosen if c.reason == "disk"),
                len(self._index),
            )
        return chosen

    async def gone(self, framework_id: str, task_id: str) -> Gone | None:
        """What the journal says of this task's sandbox (None: it was not collected)."""
        return await asyncio.to_thread(_find_in_journal, self.journal, framework_id, task_id)

    def _add(self, key: Key, ended_at: float, size: int) -> None:
        """Adds a sandbox after every other: its time is kept between the
        newest one's and now, so that the index stays oldest first (an mtime
        ahead of the clock, or two tasks ending together, would otherwise
        hide older sandboxes behind a younger one from `choose`)."""
        newest = next(reversed(self._index.values()))[0] if self._index else 0.0
        self._index[key] = (max(min(ended_at, self._clock()), newest), size)

    def _sandboxes(self) -> Iterator[Sandbox]:
        for (framework_id, task_id), (ended_at, size) in self._index.items():
            yield Sandbox(framework_id, task_id, ended_at, size, self._live(framework_id, task_id))

    def _note_disk(self, disk: Disk, chosen: list[Collect]) -> None:
        """Warns once while the disk stays over the threshold with nothing left to delete."""
        # At 0 the operator asked for nothing to be kept: no disk is "too full".
        over = self.policy.disk_threshold > 0 and self.policy.excess(disk) > sum(
            c.sandbox.size for c in chosen
        )
        if over and not self._over_warned:
            log.warning(
                "the work dir's disk is %.0f%% full, over --sandbox-gc-disk-threshold %g%%, "
                "and no more sandboxes of ended tasks can be deleted",
                disk.percent,
                self.policy.disk_threshold,
            )
        self._over_warned = over

    def _delete(self, batch: list[Collect], now: float) -> None:
        """In a thread: removes the sandboxes, then their framework's folder
        if emptied, and records each in the journal."""
        lines = []
        for c in batch:
            folder = self.root / c.sandbox.framework_id
            try:
                shutil.rmtree(folder / c.sandbox.task_id)
            except FileNotFoundError:
                pass
            except OSError as err:
                # Left on disk, no longer scheduled: said once, not every pass.
                log.warning("could not delete the sandbox of %s: %s", c.sandbox.task_id, err)
                continue
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
            lines.append(f"{c.sandbox.framework_id}\t{c.sandbox.task_id}\t{c.reason}\t{now}\n")
        if not lines:
            return
        with self.journal.open("a") as out:
            out.writelines(lines)
        self._journal_lines += len(lines)
        if self._journal_lines > 2 * JOURNAL_KEEP:
            self._journal_lines = _trim(self.journal, JOURNAL_KEEP)

    async def _sleep(self, seconds: float) -> None:
        """Until `seconds` have passed on the clock or a task ended."""
        woken = asyncio.ensure_future(self._wake.wait())
        slept = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait({woken, slept}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            slept.cancel()
        self._wake.clear()


def _look_one(folder: Path) -> tuple[float, int] | None:
    """(ended_at, size) of one sandbox; None if it is not there."""
    try:
        entries = list(os.scandir(folder))
        ended_at = folder.stat().st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return None
    size = 0
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                size += sum(f.stat().st_size for f in Path(entry.path).rglob("*") if f.is_file())
            else:
                st = entry.stat(follow_symlinks=False)
                size += st.st_size
                if entry.name == OUTPUT:
                    ended_at = st.st_mtime  # written as the task ended
        except OSError:
            continue
    return ended_at, size


def _look(root: Path, keys: Iterable[Key]) -> list[tuple[Key, tuple[float, int] | None]]:
    return [(key, _look_one(root / key[0] / key[1])) for key in keys]


def _scan(root: Path) -> list[tuple[Key, tuple[float, int]]]:
    """Every sandbox under root, oldest first."""
    found: list[tuple[Key, tuple[float, int]]] = []
    try:
        frameworks = [e for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return found
    for framework in frameworks:
        # Ids repeat across thousands of sandboxes: one copy of each.
        framework_id = sys.intern(framework.name)
        with contextlib.suppress(FileNotFoundError):
            for task in os.scandir(framework.path):
                if task.is_dir(follow_symlinks=False):
                    seen = _look_one(Path(task.path))
                    if seen is not None:
                        found.append(((framework_id, task.name), seen))
    found.sort(key=lambda item: item[1][0])
    return found


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def _trim(path: Path, keep: int) -> int:
    """Keeps the journal's last `keep` lines (replaced whole, so a crash
    leaves the old or the new one). Returns how many it has."""
    lines = path.read_text().splitlines(keepends=True)[-keep:]
    fresh = path.with_suffix(".tmp")
    fresh.write_text("".join(lines))
    fresh.replace(path)
    return len(lines)


def _find_in_journal(path: Path, framework_id: str, task_id: str) -> Gone | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    wanted = f"{framework_id}\t{task_id}\t"
    found: Gone | None = None
    for line in text.splitlines():
        if line.startswith(wanted):
            _, _, reason, at = line.split("\t")
            found = Gone("disk" if reason == "disk" else "delay", float(at))
    return found
