"""Revocable resources with real processes.

The agent's executor on a real Docker engine: preemption kills the newest
revocable tasks first, reason PREEMPTED, and never a non-revocable one."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import docker
import pytest

from agent.containerizer.docker import LABEL_AGENT, DockerContainerizer
from agent.executor import TaskExecutor
from agent.slack import Amount
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus
from tests.support.cluster import IMAGE


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
