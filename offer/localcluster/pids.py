"""Pid files that name one process: its pid and its start time, so that a
pid the kernel has since given to another program is never signalled (a
set's teardown may run long after what it started has ended)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" if it is gone
    or a zombie): with the pid, it names one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return "" if fields[0] == "Z" else fields[19]


def record(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid} {start_time(pid)}\n")


def running(path: Path) -> int:
    """The recorded process's pid while that same process runs, else 0."""
    with contextlib.suppress(OSError, ValueError):
        pid_text, _, started = path.read_text().strip().partition(" ")
        pid = int(pid_text)
        if pid > 0 and started and start_time(pid) == started:
            return pid
    return 0


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to reap it."""
    return pid > 0 and start_time(pid) != ""


def stop(victims: Iterable[int], within: float) -> None:
    """SIGTERM to each that runs, then SIGKILL to those still running
    `within` seconds later."""
    running = [pid for pid in victims if alive(pid)]
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in running) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in running:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
