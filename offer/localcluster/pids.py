"""Pid files that name one process: its pid and its start time, so that a
pid the kernel has since given to another program is never signalled (a
set's teardown may run long after what it started has ended)."""

from __future__ import annotations

import contextlib
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
