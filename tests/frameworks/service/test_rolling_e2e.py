"""Rolling updates on a real cluster (issue 27): counted from the master's
event stream, every task change, so no moment between two polls is
missed. The containers ignore SIGTERM: each kill uses its whole grace
period, in KILLING."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import grpc

from offer.tasks import TaskState
from offer.v1 import operator_pb2, operator_pb2_grpc
from tests.frameworks.service.test_service import deploy
from tests.support.cluster import IMAGE, Cluster, free_ports, http_get, wait_for

WEB = f"""
id: web
image: {IMAGE}
cmd: "trap '' TERM; exec httpd -f -p 8080 -h /www"
cpus: 0.1
mem: 32
instances: {{n}}
ports: [8080]
env:
  COLOR: "{{color}}"
kill_grace_seconds: 2
backoff_seconds: 0.2
minimum_health_capacity: 1.0
maximum_over_capacity: 0.5
upgrade_deadline_seconds: {{deadline}}
health_check:
  protocol: http
  port: {{check_port}}
  path: /
  interval_seconds: 0.3
  max_consecutive_failures: 2
"""


class TaskCounts:
    """Follows the master's task changes and, after each, counts the live
    tasks (their containers may run) and the ready ones (RUNNING, healthy)."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self.status: dict[str, Any] = {}
        self.most_live = 0
        self.least_ready: int | None = None
        self.killing_seen: set[str] = set()
        self._cancel = threading.Event()
        self._stream: Any = None
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def start(self) -> None:
        self._thread.start()
        wait_for(lambda: self._stream is not None, 10, "the event stream")
        for t in self._cluster.list("tasks"):
            self.status[t.task_id] = t.status
        self._count()

    def _follow(self) -> None:
        with self._cluster.security.channel(self._cluster.address) as channel:
            stub = operator_pb2_grpc.OperatorStub(channel)
            self._stream = stub.WatchEvents(operator_pb2.WatchEventsRequest(follow=True))
            try:
                for event in self._stream:
                    if event.type == operator_pb2.EVENT_TASK_CHANGED:
                        self.status[event.status.task_id] = event.status
                        if event.status.state == TaskState.KILLING:
                            self.killing_seen.add(event.status.task_id)
                        self._count()
            except grpc.RpcError:
                pass  # cancelled at the end

    def _count(self) -> None:
        live = [s for s in self.status.values() if not TaskState(s.state).is_terminal]
        ready = sum(1 for s in live if s.state == TaskState.RUNNING and s.healthy)
        self.most_live = max(self.most_live, len(live))
        self.least_ready = ready if self.least_ready is None else min(self.least_ready, ready)

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
        self._thread.join(10)


def _ready(cluster: Cluster, app_id: str = "web") -> list[dict[str, Any]]:
    return [
        t
        for t in cluster.app_json(app_id)["tasks"]
        if t["state"] == "RUNNING" and t["health"] == "healthy"
    ]


def _live(status: dict[str, Any]) -> list[dict[str, Any]]:
    ended = ("FINISHED", "FAILED", "KILLED", "LOST", "ERROR")
    return [t for t in status["tasks"] if t["state"] not in ended]


async def test_a_rolling_update_keeps_its_promises_with_kills_that_use_their_grace(
    cluster: Cluster, tmp_path: Path
) -> None:
    """4 instances, min_health 1.0, max_over 0.5, redeployed with a new env:
    never fewer than 4 healthy, never more than 6 live, 4 new at the end."""
    cluster.start_master()
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(10)}")
    cluster.start_service()
    spec = WEB.format(n=4, color="blue", deadline=120, check_port=8080)
    deploy(cluster, tmp_path, spec)
    first = await asyncio.to_thread(
        wait_for, lambda: len(r := _ready(cluster)) == 4 and r, 60, "4 healthy of v1"
    )
    old = {t["task_id"] for t in first}
    counts = TaskCounts(cluster)
    await asyncio.to_thread(counts.start)
    try:
        green = tmp_path / "green.yaml"
        green.write_text(WEB.format(n=4, color="green", deadline=120, check_port=8080))
        done = await asyncio.to_thread(
            cluster.app, "deploy", str(green), "--wait", "--timeout", "25"
        )
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        await asyncio.to_thread(counts.stop)
    status = cluster.app_json("web")
    live = _live(status)
    assert len(live) == 4 and not {t["task_id"] for t in live} & old
    assert all(t["health"] == "healthy" and t["revision"] == 2 for t in live), live
    assert counts.least_ready is not None and counts.least_ready >= 4, counts.least_ready
    assert counts.most_live <= 6, counts.most_live
    # Every old instance was seen KILLING, and its container used its whole
    # grace period: SIGTERM was ignored, SIGKILL ended it.
    assert counts.killing_seen >= old
    ended = {t["task_id"]: t for t in status["tasks"] if t["task_id"] in old}
    assert {t["state"] for t in ended.values()} <= {"KILLED"}
    assert status["deployment"]["state"] == "COMPLETE"


async def test_a_version_that_never_gets_healthy_fails_at_its_deadline_and_rolls_back(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(8)}")
    cluster.start_service()
    deploy(cluster, tmp_path, WEB.format(n=2, color="blue", deadline=3, check_port=8080))
    first = await asyncio.to_thread(
        wait_for, lambda: len(r := _ready(cluster)) == 2 and r, 60, "2 healthy of v1"
    )
    old = {t["task_id"] for t in first}
    # Serves on 8080 as before, but its check asks 8081, where nothing listens.
    broken = tmp_path / "broken.yaml"
    broken_spec = WEB.format(n=2, color="red", deadline=3, check_port=8081)
    broken.write_text(broken_spec.replace("ports: [8080]", "ports: [8080, 8081]"))
    done = await asyncio.to_thread(cluster.app, "deploy", str(broken), "--wait", "--timeout", "25")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "app web failed: deployment not done after 3s without progress" in done.stderr
    assert "unhealthy" in done.stderr
    status = cluster.app_json("web")
    assert status["deployment"]["state"] == "FAILED"
    assert "unhealthy" in status["deployment"]["reason"]
    shown = cluster.app("show", "web").stdout
    assert "deployment of revision 2 FAILED" in shown and "unhealthy" in shown
    # The old instances still serve.
    serving = [t for t in _ready(cluster) if t["task_id"] in old]
    assert len(serving) == 2
    for t in serving:
        assert http_get(f"http://127.0.0.1:{t['host_ports'][0]}/") is not None

    history = cluster.app("history", "web", "-o", "json")
    assert history.returncode == 0, history.stderr
    revisions = json.loads(history.stdout)
    assert [r["revision"] for r in revisions] == [1, 2]
    assert revisions[0]["change"] == "created"
    assert "env.COLOR: blue -> red" in revisions[1]["change"]
    assert revisions[1]["current"]

    back = await asyncio.to_thread(cluster.app, "rollback", "web", "--wait", "--timeout", "25")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "rolling back as revision 3" in back.stdout
    status = cluster.app_json("web")
    live = _live(status)
    # The same old instances: revision 3 is revision 1's version again.
    assert {t["task_id"] for t in live} == old
    assert status["deployment"]["state"] == "COMPLETE"
    revisions = json.loads(cluster.app("history", "web", "-o", "json").stdout)
    assert revisions[-1]["change"].startswith("rollback to revision 1: ")
    assert "env.COLOR: red -> blue" in revisions[-1]["change"]
