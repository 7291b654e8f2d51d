"""--log-format json, end to end: a master, an agent, offer-service and
offer-batch run an app and a job, and every line each of them wrote (stdout
and stderr together) is one JSON object with the agreed fields."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.cluster import IMAGE, Cluster, Proc, wait_for

JSON = ("--log-format", "json")
# ISO 8601 in UTC, to the millisecond.
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

APP = f"""
id: web
image: {IMAGE}
cmd: sleep 300
cpus: 0.1
mem: 32
instances: 1
kill_grace_seconds: 0.2
"""

JOB = f"""
name: once
image: {IMAGE}
cmd: echo done
cpus: 0.1
mem: 32
"""


def records(proc: Proc) -> list[dict[str, Any]]:
    """Every line of the process's log, parsed; a line that is not a JSON
    object with time, level, logger and message fails the test."""
    parsed = []
    for number, line in enumerate(proc.log().splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"{proc.name}.log line {number} is not JSON: {line!r}") from None
        assert isinstance(record, dict), line
        assert TIME.match(record["time"]), line
        assert record["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), line
        assert record["logger"] and isinstance(record["message"], str), line
        parsed.append(record)
    return parsed


def of_task(found: list[dict[str, Any]], task_id: str, start: str) -> list[dict[str, Any]]:
    return [r for r in found if r.get("task_id") == task_id and r["message"].startswith(start)]


def test_every_daemon_writes_one_json_object_per_line(cluster: Cluster, tmp_path: Path) -> None:
    master = cluster.start_master(*JSON)
    agent = cluster.start_agent("cpus:2;mem:1024", *JSON)
    service = cluster.start_service(*JSON)
    batch = cluster.start_batch(*JSON)

    (tmp_path / "app.yaml").write_text(APP)
    assert cluster.app("deploy", str(tmp_path / "app.yaml")).returncode == 0
    [instance] = wait_for(
        lambda: [t for t in cluster.app_json("web")["tasks"] if t["state"] == "RUNNING"],
        what="the app's instance to run",
    )
    (tmp_path / "jobs.yaml").write_text(JOB)
    assert cluster.job("submit", str(tmp_path / "jobs.yaml")).returncode == 0
    run_id = cluster.job("run", "once").stdout.split()[1]
    run = wait_for(
        lambda: (r := cluster.job_json("run-show", run_id))["state"] == "SUCCEEDED" and r,
        what=f"run {run_id} to succeed",
    )
    [job_task] = run["tasks"]
    [batch_id] = [
        f.info.framework_id for f in cluster.list("frameworks") if f.info.name == "offer-batch"
    ]
    assert cluster.app("scale", "web", "0").returncode == 0
    cluster.until_no_containers()
    for proc in (batch, service, agent, master):
        assert proc.stop() == 0, proc.log()[-2000:]

    logs = {proc.name: records(proc) for proc in (master, agent, service, batch)}

    on_agent = logs[agent.name]
    ids = {"agent_id": agent.agent_id, "framework_id": batch_id}
    [launching] = of_task(on_agent, job_task["task_id"], "launching task")
    assert launching.items() >= ids.items()
    [started] = of_task(on_agent, job_task["task_id"], "started task")
    assert started["container_id"]
    [ended] = of_task(on_agent, job_task["task_id"], "task ")
    assert (ended["state"], ended["reason"], ended["exit_code"]) == (
        "FINISHED",
        "COMMAND_EXITED",
        0,
    )
    assert ended["container_id"] == started["container_id"]

    app_task = instance["task_id"]
    [killing] = of_task(on_agent, app_task, "killing task")
    assert killing["reason"] == "KILLED_BY_REQUEST"
    [killed] = of_task(on_agent, app_task, "task ")
    assert (killed["state"], killed["reason"]) == ("KILLED", "KILLED_BY_REQUEST")

    assert any(r.get("run_id") == run_id and r.get("job") == "once" for r in logs[batch.name])
    # The HTTP port's line comes from offer.http, the same root handler.
    for name, found in logs.items():
        assert any(r["logger"] == "offer.http.server" for r in found), name


SCRIPT = """
import logging, threading, warnings
from offer.daemon_cli import setup_logging

setup_logging("INFO", "json")
log = logging.getLogger("agent.executor")
log.info("launched %s", "t1", extra={"task_id": "t1", "exit_code": 0})
try:
    1 / 0
except ZeroDivisionError:
    log.exception("it failed")
warnings.warn("an old call", DeprecationWarning)
thread = threading.Thread(target=lambda: 1 / 0, name="worker")
thread.start()
thread.join()
raise RuntimeError("the end")
"""


def test_exceptions_and_warnings_come_out_as_json_too(tmp_path: Path) -> None:
    """What Python would print to stderr by itself (a warning, an exception
    that ends a thread or the program) is a JSON record like the rest."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(r["level"], r["logger"]) for r in lines] == [
        ("INFO", "agent.executor"),
        ("ERROR", "agent.executor"),
        ("WARNING", "py.warnings"),
        ("ERROR", "offer"),
        ("CRITICAL", "offer"),
    ]
    launched, failed, warned, in_thread, uncaught = lines
    assert (launched["message"], launched["task_id"], launched["exit_code"]) == (
        "launched t1",
        "t1",
        0,
    )
    assert "exception" not in launched
    assert failed["exception"].endswith("ZeroDivisionError: division by zero")
    assert "DeprecationWarning: an old call" in warned["message"]
    assert "thread worker" in in_thread["message"] and "ZeroDivisionError" in in_thread["exception"]
    assert uncaught["exception"].endswith("RuntimeError: the end")
    assert all(TIME.match(r["time"]) for r in lines)
