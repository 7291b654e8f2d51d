"""examples/gang.py on a real cluster of two agents: killed -9 while its
gang runs and started again, it never has two gangs live, launches each
attempt whole or not at all, retries a gang one of whose tasks failed, and
finishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from offer.tasks import TaskState
from tests.support.cluster import Cluster, wait_for

ROOT = Path(__file__).parent.parent.parent
# Rank 0 of the first attempt fails while the others run on: they are
# killed and the gang is retried whole, whose tasks end well.
COMMAND = (
    '[ "$GANG_ATTEMPT-$GANG_RANK" = 1-0 ] && { sleep 5; exit 1; }; '
    "sleep $((GANG_ATTEMPT == 1 ? 60 : 3))"
)
DEADLINE = 120.0


def start_gang(
    cluster: Cluster, state: Path, log: Path, command: str = COMMAND
) -> subprocess.Popen[bytes]:
    args = [sys.executable, str(ROOT / "examples" / "gang.py"), "--state", str(state)]
    args += ["--master", cluster.address, "--command", command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(args, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)


def attempts(tasks: list[Any]) -> dict[str, dict[str, TaskState]]:
    """The master's tasks by attempt: attempt -> task id -> state."""
    by_attempt: dict[str, dict[str, TaskState]] = defaultdict(dict)
    for task in tasks:
        by_attempt[task.task_id.split("-")[1]][task.task_id] = TaskState(task.status.state)
    return by_attempt


def check(tasks: list[Any]) -> dict[str, dict[str, TaskState]]:
    """The gang's rules, on one look at the master's tasks."""
    by_attempt = attempts(tasks)
    live = {
        a for a, states in by_attempt.items() if any(not s.is_terminal for s in states.values())
    }
    assert len(live) <= 1, f"two gangs live at once: {dict(by_attempt)}"
    for attempt, states in by_attempt.items():
        assert len(states) == 4, f"attempt {attempt} launched in part: {states}"
    return by_attempt


def test_gang_survives_kill_9_and_never_runs_two_gangs(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_agent("cpus:1;mem:256")
    state, log = tmp_path / "gang.json", tmp_path / "gang.log"
    gang = start_gang(cluster, state, log)
    try:

        def first_gang_running() -> bool:
            first = check(cluster.list("tasks")).get("1", {})
            return bool(first) and all(s == TaskState.RUNNING for s in first.values())

        wait_for(first_gang_running, what="the first gang to run")
        agents = {t.agent_id for t in cluster.list("tasks")}
        assert len(agents) == 2, "the gang spans both agents (each fits 2 of the 4)"
        gang.send_signal(signal.SIGKILL)
        gang.wait()
        gang = start_gang(cluster, state, log)

        deadline = time.monotonic() + DEADLINE
        while gang.poll() is None:  # look at the master all the while
            check(cluster.list("tasks"))
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        assert gang.returncode == 0, log.read_text()
    finally:
        if gang.poll() is None:
            gang.kill()
            gang.wait()

    by_attempt = check(cluster.list("tasks"))
    assert sorted(by_attempt["1"].values()) == [TaskState.FAILED] + [TaskState.KILLED] * 3
    last = by_attempt[max(by_attempt, key=int)]
    assert set(last.values()) == {TaskState.FINISHED}, dict(by_attempt)
    output = log.read_text()
    assert "RECONCILIATION" in output, "the restarted gang asked about its recorded tasks"
    # Started again once it is done, it launches nothing.
    again = start_gang(cluster, state, log)
    assert again.wait(30) == 0
    assert attempts(cluster.list("tasks")).keys() == by_attempt.keys()


def test_gang_whose_framework_was_torn_down_while_away_starts_afresh(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Stopped while its gang runs, then torn down with offerctl: started
    again, its saved id is refused (NOT_FOUND); it says so in one line,
    forgets the attempt the master killed, and runs a new gang to the end."""
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_agent("cpus:1;mem:256")
    state, log = tmp_path / "gang.json", tmp_path / "gang.log"
    gang = start_gang(cluster, state, log, command="sleep 60")
    try:

        def first_gang_running() -> bool:
            first = attempts(cluster.list("tasks")).get("1", {})
            return len(first) == 4 and all(s == TaskState.RUNNING for s in first.values())

        wait_for(first_gang_running, what="the first gang to run")
        gang.send_signal(signal.SIGKILL)
        gang.wait()
        old_id = json.loads(state.read_text())["framework_id"]
        torn = cluster.offerctl("framework", "teardown", old_id)
        assert torn.returncode == 0, torn.stderr
        gang = start_gang(cluster, state, log, command="sleep 1")
        assert gang.wait(DEADLINE) == 0, log.read_text()
    finally:
        if gang.poll() is None:
            gang.kill()
            gang.wait()
    output = log.read_text()
    assert f"framework {old_id} is gone (torn down); starting afresh" in output
    assert "Traceback" not in output
    saved = json.loads(state.read_text())
    assert saved["framework_id"] not in ("", old_id)
    assert saved["done"] and saved["attempt"] == 2
    assert saved["tasks"] == [f"gang-2-{rank}" for rank in range(4)]
