"""Pid files of offer.localcluster name one process: a pid reused by another
program since is never taken for it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from offer.localcluster import pids


def test_a_recorded_process_is_found_while_it_runs(tmp_path: Path) -> None:
    child = subprocess.Popen(["sleep", "30"])
    path = tmp_path / "child.pid"
    pids.record(path, child.pid)
    assert pids.running(path) == child.pid
    child.kill()
    child.wait()
    assert pids.running(path) == 0


def test_a_pid_with_another_start_time_is_another_process(tmp_path: Path) -> None:
    path = tmp_path / "reused.pid"
    # This process's pid, as if an earlier process with it had been recorded.
    path.write_text(f"{os.getpid()} 1\n")
    assert pids.running(path) == 0
    path.write_text(f"{os.getpid()}\n")  # no start time: an old or foreign file
    assert pids.running(path) == 0
    assert pids.running(tmp_path / "missing.pid") == 0
