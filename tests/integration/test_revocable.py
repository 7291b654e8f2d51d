"""Revocable resources with real processes.

The agent's executor on a real Docker engine: preemption kills the newest
revocable tasks first, reason PREEMPTED, and never a non-revocable one.
And the whole path (issue 24's must-show): a master, an agent, offer-service
running a service that uses little of its allocation, and offer-batch
running a revocable job on the slack; the service's use rises, the agent
preempts the batch task, and the job still succeeds."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import docker
import pytest

from agent.containerizer.docker import LABEL_AGENT, LABEL_TASK, DockerContainerizer
from agent.executor import TaskExecutor
from agent.slack import Amount
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus
from offer.v1 import common_pb2
from tests.support.cluster import IMAGE, Cluster, wait_for


def sleeper(task_id: str, revocable: bool) -> TaskSpec:
    return TaskSpec(
        task_id,
        task_id,
        Resources(0.1, 32),
        IMAGE,
        ("sleep", "300"),
        kill_grace_seconds=1,
        revocable=revocable,
    )


@pytest.fixture
async def containerizer() -> AsyncIterator[DockerContainerizer]:
    runtime = DockerContainerizer(f"test-{secrets.token_hex(4)}", address="127.0.0.1")
    try:
        yield runtime
    finally:
        client = docker.from_env()
        for c in client.api.containers(
            all=True, filters={"label": f"{LABEL_AGENT}={runtime.agent_id}"}
        ):
            # The executor may have removed it as its exit was handled.
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(c["Id"], force=True)
        client.close()


async def test_the_executor_preempts_the_newest_revocable_tasks_only(
    containerizer: DockerContainerizer, tmp_path: Path
) -> None:
    seen: list[TaskStatus] = []
    changed = asyncio.Event()

    def emit(status: TaskStatus) -> None:
        seen.append(status)
        changed.set()

    async def until(predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(60):
            while not predicate():
                changed.clear()
                await changed.wait()

    def states(state: TaskState) -> set[str]:
        return {s.task_id for s in seen if s.state == state}

    executor = TaskExecutor(containerizer.agent_id, containerizer, emit, tmp_path)
    await executor.connect_engine()
    try:
        # The non-revocable task is the newest: preemption passes it over.
        for task_id, revocable in [("old", True), ("mid", True), ("new", True), ("svc", False)]:
            executor.launch("fw", sleeper(task_id, revocable))
        await until(lambda: len(states(TaskState.RUNNING)) == 4)

        # 0.15 cpus short: the two newest revocable tasks go, no more.
        preempted = executor.preempt(Amount(0.15, 0))
        assert preempted == [("fw", "new"), ("fw", "mid")]
        await until(lambda: states(TaskState.KILLED) == {"new", "mid"})
        ended = [s for s in seen if s.state == TaskState.KILLED]
        assert {s.reason for s in ended} == {StatusReason.PREEMPTED}
        assert all("preempted" in s.message for s in ended)
        assert [r.key for r in executor.revocable_tasks()] == [("fw", "old")]

        # More than every loan: the last revocable task goes, the service stays.
        assert executor.preempt(Amount(5, 0)) == [("fw", "old")]
        await until(lambda: "old" in states(TaskState.KILLED))
        assert executor.preempt(Amount(5, 0)) == []
        assert executor.find("fw", "svc").state == TaskState.RUNNING  # type: ignore[union-attr]
    finally:
        await executor.close()


# A service allocated far more than it uses, until the test creates /burn in
# its container: then it keeps two loops busy (as much of its 1.6 cpus as a
# shared machine gives it), until /burn is gone.
SERVICE = f"""
id: api
image: {IMAGE}
cmd: >-
  for n in 1 2; do (while :; do if [ -f /burn ]; then :; else sleep 0.1; fi; done) & done;
  wait
cpus: 1.6
mem: 256
instances: 1
kill_grace_seconds: 0.2
"""

# Its first attempt runs until preempted; a retry ends at once.
JOB = f"""
name: crunch
image: {IMAGE}
cmd: if [ "$OFFER_TASK_ATTEMPT" = 1 ]; then sleep 300; else sleep 1; fi
cpus: 0.8
mem: 32
retries: 0
revocable: true
kill_grace_seconds: 0.2
"""


def _batch_tasks(cluster: Cluster) -> list[Any]:
    batch = next(f for f in cluster.list("frameworks") if f.info.name == "offer-batch")
    return [t for t in cluster.list("tasks") if t.framework_id == batch.info.framework_id]


def _service_running(cluster: Cluster) -> int:
    return sum(1 for t in cluster.app_json("api")["tasks"] if t["state"] == "RUNNING")


def _burn(cluster: Cluster, on: bool) -> None:
    [api] = [
        t
        for t in cluster.list("tasks")
        if t.name.startswith("api") and t.status.state == common_pb2.TASK_RUNNING
    ]
    [container] = [c for c in cluster.containers() if c["Labels"].get(LABEL_TASK) == api.task_id]
    client = docker.from_env()
    try:
        done = client.api.exec_start(
            client.api.exec_create(container["Id"], ["touch" if on else "rm", "/burn"])
        )
    finally:
        client.close()
    assert done == b"", done


def test_a_revocable_batch_task_is_preempted_when_a_service_needs_its_cpu(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    # The service takes 1.6 of the 2 cpus: a 0.8-cpu task fits only in the
    # slack it leaves unused (1.6 less a 20 % margin: 1.28), and is preempted
    # once the service uses more than 0.48 of it. Usage every 0.3 s so that the slack moves fast.
    cluster.start_agent("cpus:2;mem:1024", "--usage-interval", "0.3")
    cluster.start_service()
    cluster.start_batch()
    (tmp_path / "api.yaml").write_text(SERVICE)
    (tmp_path / "job.yaml").write_text(JOB)
    assert cluster.app("deploy", str(tmp_path / "api.yaml")).returncode == 0
    wait_for(lambda: _service_running(cluster) == 1, what="the service to run")
    assert cluster.job("submit", str(tmp_path / "job.yaml")).returncode == 0
    started = cluster.job("run", "crunch")
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.split()[1]

    def running_on_loan() -> Any:
        running = [t for t in _batch_tasks(cluster) if t.status.state == common_pb2.TASK_RUNNING]
        return running[0] if running and running[0].revocable else None

    first = wait_for(running_on_loan, 60, "the job's task to run on revocable resources")

    _burn(cluster, True)
    preempted = wait_for(
        lambda: next(
            (
                t
                for t in _batch_tasks(cluster)
                if t.task_id == first.task_id and t.status.state == common_pb2.TASK_KILLED
            ),
            None,
        ),
        60,
        "the revocable task to be preempted",
    )
    assert preempted.status.reason == common_pb2.REASON_PREEMPTED
    assert "preempted" in preempted.status.message
    # The service itself was never touched.
    assert _service_running(cluster) == 1

    # The service calms down: slack comes back, the job's retry runs on it
    # (a preemption uses up no retry, and there were none) and the run succeeds.
    _burn(cluster, False)

    def ended() -> Any:
        run = cluster.job_json("run-show", run_id)
        return run if run["state"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None

    run = wait_for(ended, 90, f"run {run_id} to end")
    assert run["state"] == "SUCCEEDED", run
    ends = [t for t in _batch_tasks(cluster) if t.task_id != first.task_id]
    assert ends and all(t.revocable for t in ends)
