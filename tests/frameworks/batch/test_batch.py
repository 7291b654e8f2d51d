"""offer-batch against a real cluster: real master, agents, containers.

Tasks write what they did into a host folder mounted into every container,
so the tests check what actually ran, not what the framework says."""

from __future__ import annotations

import argparse
import json
import math
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from offer.ctl import explain
from offer.v1 import batch_pb2_grpc, common_pb2
from tests.support.cluster import HOST_MOUNTS, IMAGE, Cluster, wait_for

ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")


def submit(cluster: Cluster, tmp_path: Path, text: str) -> None:
    spec = tmp_path / "jobs.yaml"
    spec.write_text(text)
    done = cluster.job("submit", str(spec))
    assert done.returncode == 0, done.stderr


def start_run(cluster: Cluster, name: str) -> str:
    done = cluster.job("run", name)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[1]  # "run NAME-N started"


def until_ended(cluster: Cluster, run_id: str, timeout: float = 60) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        shown = cluster.job("run-show", run_id, "-o", "json")
        if shown.returncode != 0:  # not started yet (a dependent run)
            return None
        run: dict[str, Any] = json.loads(shown.stdout)
        return run if run["state"] in ENDED else None

    return wait_for(ended, timeout, f"run {run_id} to end")  # type: ignore[no-any-return]


def batch_framework(cluster: Cluster) -> Any:
    return next(f for f in cluster.list("frameworks") if f.info.name == "offer-batch")


def shared_folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    return out


def test_twenty_tasks_four_at_a_time(cluster: Cluster, tmp_path: Path) -> None:
    out = shared_folder(tmp_path)
    cluster.start_secure_master(HOST_MOUNTS)
    cluster.start_agent("cpus:4;mem:2048")
    cluster.start_batch()
    # Each task counts the tasks running beside it (itself included) before it ends.
    submit(
        cluster,
        tmp_path,
        f"""
name: many
image: {IMAGE}
cmd: >-
  touch /out/running.$OFFER_TASK_INDEX;
  ls /out | grep -c running >> /out/counts;
  sleep 0.3;
  ls /out | grep -c running >> /out/counts;
  echo $OFFER_TASK_INDEX >> /out/done;
  rm /out/running.$OFFER_TASK_INDEX
cpus: 0.1
mem: 32
completions: 20
parallelism: 4
volumes: ["{out}:/out"]
kill_grace_seconds: 0.2
""",
    )
    run = until_ended(cluster, start_run(cluster, "many"))
    assert run["state"] == "SUCCEEDED", run
    assert run["succeeded"] == 20 and run["failed_attempts"] == 0
    assert sorted(int(i) for i in (out / "done").read_text().split()) == list(range(20))
    counts = [int(c) for c in (out / "counts").read_text().split()]
    assert max(counts) <= 4, f"more than 4 tasks ran at once: {counts}"
    assert len({t["task_id"] for t in run["tasks"]}) == 20
    assert {t["state"] for t in run["tasks"]} == {"FINISHED"}
    listed = cluster.job("list").stdout
    assert "many" in listed and "many-1 SUCCEEDED" in listed
    logs = cluster.job("logs", run["run_id"], "--task", "7")
    assert logs.returncode == 0, logs.stderr


def test_a_failing_task_is_retried_then_the_run_fails(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent()
    cluster.start_batch()
    submit(
        cluster,
        tmp_path,
        f"""
name: flaky
image: {IMAGE}
cmd: echo "attempt $OFFER_TASK_ATTEMPT failing" >&2; exit 3
retries: 2
backoff_seconds: 0.1
kill_grace_seconds: 0.2
""",
    )
    run = until_ended(cluster, start_run(cluster, "flaky"))
    assert run["state"] == "FAILED" and run["exit_code"] == 3, run
    assert [(t["attempt"], t["state"], t["exit_code"]) for t in run["tasks"]] == [
        (1, "FAILED", 3),
        (2, "FAILED", 3),
        (3, "FAILED", 3),
    ]
    assert "task 0 failed 3 time(s)" in run["message"]
    logs = cluster.job("logs", run["run_id"])
    assert logs.returncode == 0 and "attempt 3 failing" in logs.stdout, logs.stderr
    runs = cluster.job("runs", "flaky").stdout
    assert "flaky-1" in runs and "FAILED" in runs
    # Every job view in every output format: the data formats hold the same run.
    for args in (["list"], ["show", "flaky"], ["runs", "flaky"], ["run-show", "flaky-1"]):
        for output in ("table", "wide", "json", "yaml"):
            shown = cluster.job(*args, "-o", output)
            assert shown.returncode == 0 and "flaky" in shown.stdout, (args, output, shown.stderr)
        as_json, as_yaml = (cluster.job(*args, "-o", o).stdout for o in ("json", "yaml"))
        assert json.loads(as_json) == yaml.safe_load(as_yaml), args


def test_a_task_past_its_timeout_is_killed(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent()
    cluster.start_batch()
    submit(
        cluster,
        tmp_path,
        f"""
name: slow
image: {IMAGE}
cmd: sleep 120
timeout_seconds: 1
kill_grace_seconds: 0.1
""",
    )
    run = until_ended(cluster, start_run(cluster, "slow"))
    [task] = run["tasks"]
    assert run["state"] == "FAILED" and task["timed_out"], run
    assert task["state"] == "KILLED" and "timed out after 1s" in task["message"]
    assert all(c["State"] != "running" for c in cluster.containers())

    # A run cancelled by hand ends CANCELLED and its task is killed (a job
    # without the timeout, which could end the run before the cancel arrives).
    (tmp_path / "patient.yaml").write_text(
        f"name: patient\nimage: {IMAGE}\ncmd: sleep 120\nkill_grace_seconds: 0.1\n"
    )
    assert cluster.job("submit", str(tmp_path / "patient.yaml")).returncode == 0
    run_id = start_run(cluster, "patient")
    wait_for(lambda: cluster.job_json("run-show", run_id)["tasks"], 30, "a task")
    cancelled = cluster.job("cancel", run_id)
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout, cancelled.stderr
    run = until_ended(cluster, run_id)
    assert run["state"] == "CANCELLED"
    wait_for(
        lambda: all(t["state"] == "KILLED" for t in cluster.job_json("run-show", run_id)["tasks"]),
        30,
        "the cancelled run's task to be killed",
    )
    # Idle again, it suppresses offers; `job show` and `job remove` work.
    wait_for(lambda: batch_framework(cluster).suppressed, 30, "offer-batch to suppress offers")
    shown = cluster.job("show", "slow")
    assert shown.returncode == 0 and "timeout_seconds: 1" in shown.stdout, shown.stderr
    assert cluster.job("remove", "slow").returncode == 0
    assert cluster.job("remove", "patient").returncode == 0
    assert cluster.job_json("list") == []


def test_dependencies_run_in_order_and_stop_at_a_failure(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent()
    cluster.start_batch()
    chain = f"""
jobs:
- {{name: a, image: {IMAGE}, cmd: "true", kill_grace_seconds: 0.1, history: 1}}
- {{name: b, image: {IMAGE}, cmd: "B_CMD", depends_on: [a], kill_grace_seconds: 0.1}}
- {{name: c, image: {IMAGE}, cmd: "true", depends_on: [b], kill_grace_seconds: 0.1}}
"""
    submit(cluster, tmp_path, chain.replace("B_CMD", "true"))
    start_run(cluster, "a")
    c = until_ended(cluster, "c-1")
    a, b = cluster.job_json("run-show", "a-1"), cluster.job_json("run-show", "b-1")
    assert [r["state"] for r in (a, b, c)] == ["SUCCEEDED"] * 3
    assert (b["trigger"], c["trigger"]) == ("after a", "after b")
    assert a["ended_at"] <= b["created_at"] and b["ended_at"] <= c["created_at"]
    # Where each ran: its agent's hostname and advertised address (127.0.0.1 here).
    assert {(t["hostname"], t["address"]) for t in a["tasks"]} == {("host0", "127.0.0.1")}
    shown = cluster.job("run-show", "a-1").stdout
    assert "ADDRESS" in shown and "127.0.0.1" in shown

    submit(cluster, tmp_path, chain.replace("B_CMD", "exit 1"))
    start_run(cluster, "a")
    assert until_ended(cluster, "b-2")["state"] == "FAILED"
    assert [r["run_id"] for r in cluster.job_json("runs", "c")] == ["c-1"]
    # Job a keeps one ended run ('history: 1').
    assert [r["run_id"] for r in cluster.job_json("runs", "a")] == ["a-2"]

    # A cycle is refused at submit, naming the field, and changes nothing.
    cyclic = tmp_path / "cycle.yaml"
    cyclic.write_text(f"{{name: a, image: {IMAGE}, depends_on: [c]}}")
    refused = cluster.job("submit", str(cyclic))
    assert refused.returncode == 1
    assert "field 'depends_on' is circular" in refused.stderr
    assert cluster.job_json("show", "a")["depends_on"] == []


def test_bad_specs_are_refused_naming_the_field(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster.start_master()
    cluster.start_batch()
    for text, field in [
        (f"{{name: x, image: {IMAGE}, parallelism: 0}}", "job 'x': parallelism: must be >= 1"),
        (f"{{name: x, image: {IMAGE}, schedule: 'at noon'}}", "job 'x': schedule: 'at noon' is"),
        (f"{{name: x, image: {IMAGE}, retries: many}}", "job 'x': retries: not a whole number"),
        (f"{{name: x, image: {IMAGE}, labels: {{a: 1}}}}", "job 'x': labels.a: not a string: 1"),
        (f"{{name: x, image: {IMAGE}, retry: 2}}", "job 'x': retry: unknown field; did you mean"),
        ("name: [", "expected the node content"),
    ]:
        spec = tmp_path / "bad.yaml"
        spec.write_text(text)
        refused = cluster.job("submit", str(spec))
        assert refused.returncode == 1 and field in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert cluster.job_json("list") == []
    unknown = cluster.job("run", "nope")
    assert unknown.returncode == 1 and "no job 'nope'" in unknown.stderr
    # The schema it checks against, from its control API, explained.
    with cluster.security.channel(cluster.batch_address) as channel:
        stub = batch_pb2_grpc.BatchControlStub(channel)
        assert explain.job_explain(stub, argparse.Namespace(field="retries")) == 0
        assert explain.job_explain(stub, argparse.Namespace(field="retry")) == 1
    captured = capsys.readouterr()
    assert "FIELD:    retries\nTYPE:     integer\nDEFAULT:  0" in captured.out
    assert "it has no field 'retry'; did you mean 'retries'?" in captured.err

    # Once it has seen an offer, a task larger than any is refused too.
    cluster.start_agent("cpus:2;mem:1024")
    wait_for(lambda: batch_framework(cluster).suppressed, 30, "offer-batch to see an offer")
    spec.write_text(f"{{name: x, image: {IMAGE}, cpus: 64}}")
    refused = cluster.job("submit", str(spec))
    assert "job 'x': fields 'cpus'/'mem' (64 cpu, 64 MiB) are more than" in refused.stderr


def test_a_schedule_fires_and_a_restart_runs_missed_times_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent()
    cluster.start_batch()
    submit(
        cluster,
        tmp_path,
        f"""
name: tick
image: {IMAGE}
cmd: "true"
schedule: "* * * * * *"
concurrency_policy: allow
missed_runs: run_once
history: 100
kill_grace_seconds: 0.1
""",
    )

    def scheduled(count: int) -> list[dict[str, Any]] | None:
        runs: list[dict[str, Any]] = cluster.job_json("runs", "tick")
        done = [r for r in runs if r["state"] == "SUCCEEDED" and r["trigger"] == "schedule"]
        return runs if len(done) >= count else None

    wait_for(lambda: scheduled(2), 60, "two scheduled runs")
    assert cluster.job_json("show", "tick")["next_run_at"] is not None

    cluster.batch.stop(signal.SIGKILL)
    # Restarted once the first scheduled time (a whole second) after the kill
    # has passed while it was down. Several passed times, and the `skip`
    # policy, on a manual clock: tests/frameworks/batch/test_scheduler.py.
    first_missed = math.floor(time.time()) + 1
    wait_for(lambda: time.time() > first_missed, 5, "a scheduled time to pass")
    cluster.restart_batch()
    runs = wait_for(
        lambda: [r for r in cluster.job_json("runs", "tick") if r["trigger"] == "missed"] or None,
        30,
        "the missed run",
    )
    assert len(runs) == 1
    every = cluster.job_json("runs", "tick")
    stamps = [r["scheduled_for"] for r in every]
    assert len(stamps) == len(set(stamps)), f"a scheduled time ran twice: {stamps}"


def test_a_restart_mid_job_loses_and_repeats_nothing(
    cluster: Cluster, tmp_path: Path, db_url: str
) -> None:
    """kill -9, its state on SQLite and on PostgreSQL."""
    out = shared_folder(tmp_path)
    cluster.start_secure_master(HOST_MOUNTS)
    cluster.start_agent("cpus:4;mem:2048")
    cluster.framework_db_urls["batch"] = db_url
    cluster.start_batch()
    submit(
        cluster,
        tmp_path,
        f"""
name: steady
image: {IMAGE}
cmd: sleep 0.8; echo $OFFER_TASK_INDEX >> /out/done
completions: 20
parallelism: 4
volumes: ["{out}:/out"]
kill_grace_seconds: 0.2
""",
    )
    run_id = start_run(cluster, "steady")
    wait_for(
        lambda: (r := cluster.job_json("run-show", run_id))["succeeded"] >= 4 and r["running"],
        60,
        "the job to be under way",
    )
    cluster.restart_batch(signal.SIGKILL)
    run = until_ended(cluster, run_id)
    assert run["state"] == "SUCCEEDED", run
    done = sorted(int(i) for i in (out / "done").read_text().split())
    assert done == list(range(20)), f"a task ran twice or never: {done}"
    finished = [t for t in run["tasks"] if t["state"] == "FINISHED"]
    assert sorted(t["index"] for t in finished) == list(range(20))
    assert [r["run_id"] for r in cluster.job_json("runs", "steady")] == [run_id]


def test_batch_and_service_side_by_side_get_fair_shares(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_service()
    cluster.start_batch()
    app = tmp_path / "app.yaml"
    app.write_text(
        f"{{id: web, image: {IMAGE}, cmd: sleep 300, cpus: 0.5, mem: 32, instances: 8, "
        "kill_grace_seconds: 0.1}"
    )
    assert cluster.app("deploy", str(app)).returncode == 0
    submit(
        cluster,
        tmp_path,
        f"{{name: crunch, image: {IMAGE}, cmd: sleep 300, cpus: 0.5, mem: 32, "
        "completions: 8, parallelism: 8, kill_grace_seconds: 0.1}",
    )
    start_run(cluster, "crunch")
    # Both want 4 cpus; the cluster has 4, arriving one agent at a time.
    for _ in range(4):
        cluster.start_agent("cpus:1;mem:512")

    def running_per_framework() -> dict[str, int] | None:
        names = {f.info.framework_id: f.info.name for f in cluster.list("frameworks")}
        counts: dict[str, int] = {}
        for t in cluster.list("tasks"):
            if t.status.state == common_pb2.TASK_RUNNING:
                name = names[t.framework_id]
                counts[name] = counts.get(name, 0) + 1
        return counts if sum(counts.values()) == 8 else None

    counts = wait_for(running_per_framework, 60, "8 running tasks")
    assert counts == {"offer-service": 4, "offer-batch": 4}
