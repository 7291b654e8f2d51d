"""--wait against real clusters: `app deploy|scale|restart --wait` and `job
run --wait` end with exit 0 when done, 1 when the rollout crash-loops or the
run fails, and 1 when --timeout passes; the last line says which."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.cluster import IMAGE, Cluster, free_port

APP = f"""
id: web
image: {IMAGE}
cmd: {{cmd}}
cpus: 0.1
mem: 32
instances: 2
kill_grace_seconds: 0.2
backoff_seconds: 0.2
"""

JOB = f"""
name: {{name}}
image: {IMAGE}
cmd: {{cmd}}
cpus: 0.1
mem: 32
completions: 2
parallelism: 2
"""

# Well under the 30 s the cluster helpers give an offerctl call, and well
# over what these rollouts take on a quiet machine (a few seconds).
TIMEOUT = "25"


def _spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return str(path)


def _last(done: subprocess.CompletedProcess[str]) -> str:
    """The last line offerctl printed, on stdout or stderr."""
    stream = done.stderr if done.returncode else done.stdout
    return stream.strip().splitlines()[-1]


def _with_service(cluster: Cluster) -> Cluster:
    """A master, one agent (2 cpus) and offer-service."""
    cluster.start_master()
    cluster.start_agent()
    cluster.start_service()
    return cluster


def test_deploy_restart_and_scale_wait_until_ready(cluster: Cluster, tmp_path: Path) -> None:
    _with_service(cluster)
    spec = _spec(tmp_path, APP.format(cmd="sleep 300"))
    done = cluster.app("deploy", spec, "--wait", "--timeout", TIMEOUT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "app web deployed"
    # On a pipe: one line per change, the last saying it is done.
    assert any("0 of 2 ready" in line for line in lines), lines
    assert lines[-1].startswith("app web rolled out: 2 of 2 ready (after "), lines
    ready = {t["task_id"] for t in cluster.app_json("web")["tasks"] if t["state"] == "RUNNING"}

    done = cluster.app("restart", "web", "--wait", "--timeout", TIMEOUT)
    assert done.returncode == 0, done.stderr
    # Done means none of the old instances is left.
    live = {t["task_id"] for t in cluster.app_json("web")["tasks"] if t["state"] == "RUNNING"}
    assert len(live) == 2 and not live & ready

    done = cluster.app("scale", "web", "1", "--wait", "--timeout", TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert _last(done).startswith("app web rolled out: 1 of 1 ready")
    assert [t["state"] for t in cluster.app_json("web")["tasks"]].count("RUNNING") == 1


def test_a_crash_looping_rollout_fails(cluster: Cluster, tmp_path: Path) -> None:
    _with_service(cluster)
    spec = _spec(tmp_path, APP.format(cmd="exit 1"))
    done = cluster.app("deploy", spec, "--wait", "--timeout", TIMEOUT)
    assert done.returncode == 1, done.stdout
    assert "timed out" not in done.stderr, "the machine is too busy for this test's timeout"
    # Two instances crash at a time: the third crash may come with a fourth.
    last = re.sub(r"\d+ instances", "N instances", _last(done))
    assert last.startswith(
        "offerctl: app web failed: N instances crashed (crash loop; last: exited with code 1)"
    ), last


def test_a_rollout_that_cannot_finish_times_out(cluster: Cluster, tmp_path: Path) -> None:
    _with_service(cluster)
    # One agent: the second instance never finds a host of its own.
    spec = _spec(tmp_path, APP.format(cmd="sleep 300") + "constraints: [[hostname, UNIQUE]]\n")
    done = cluster.app("deploy", spec, "--timeout", "3")
    assert done.returncode == 1
    last = _last(done)
    assert last.startswith("offerctl: timed out after 3s: app web: 1 of 2 ready; "), last
    assert "UNIQUE" in last  # offer-service's reason for waiting


def test_job_run_wait_exits_with_the_runs_outcome(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent()
    cluster.start_batch()
    jobs = "jobs:\n" + "".join(
        "  - " + JOB.format(name=name, cmd=cmd).strip().replace("\n", "\n    ") + "\n"
        for name, cmd in (("fine", "exit 0"), ("broken", "exit 3"))
    )
    assert cluster.job("submit", _spec(tmp_path, jobs)).returncode == 0

    done = cluster.job("run", "fine", "--wait", "--timeout", TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "run fine-1 started"
    assert _last(done).startswith("run fine-1 succeeded: 2 of 2 done"), done.stdout

    done = cluster.job("run", "broken", "--wait", "--timeout", TIMEOUT)
    assert done.returncode == 1
    assert _last(done).startswith("offerctl: run broken-1 failed: "), done.stderr
    assert "exited with code 3" in _last(done)


def test_a_yaml_error_names_file_line_and_column_and_calls_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, f"id: web\nimage: {IMAGE}\ncmd: echo a: b\n")
    # Nothing listens at this master: a call would fail with "cannot reach".
    done = cluster.offerctl("app", "deploy", spec, master=f"127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert done.stderr == f"offerctl: {spec}:3:12: mapping values are not allowed here\n"
