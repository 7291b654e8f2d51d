"""A kill that arrives before a task's container runs cancels the launch:
the container never starts (or is removed at once) and the task ends
KILLED, without RUNNING and without waiting out a grace period."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import docker
import pytest

from agent.containerizer.docker import (
    LABEL_AGENT,
    DockerContainerizer,
    LaunchCancelled,
)
from agent.executor import TaskExecutor
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus
from tests.support.cluster import IMAGE

SPEC = TaskSpec("t1", "t1", Resources(0.1, 32), IMAGE, ("sleep", "30"), kill_grace_seconds=5)


class SlowEngine:
    """A runtime whose launch waits until the test lets it go, so that a kill
    can be placed at each moment of a launch (the executor's state machine is
    what is tested here; the real engine's part is tested below)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        # Set: the engine's start call returns.
        self.start_returns = asyncio.Event()
        self.start_returns.set()
        self.entered = False
        self.started: list[str] = []
        self.stopped: list[tuple[str, float]] = []
        self.cancel_seen: bool | None = None

    async def launch(
        self, framework_id: str, spec: TaskSpec, cancelled: object, pulling: object = None
    ) -> str:
        self.entered = True
        await self.release.wait()
        assert callable(cancelled)
        self.cancel_seen = bool(cancelled())
        if self.cancel_seen:
            raise LaunchCancelled("c1")
        self.started.append("c1")
        await self.start_returns.wait()
        return "c1"

    async def stop(self, container_id: str, grace_seconds: float) -> None:
        self.stopped.append((container_id, grace_seconds))


def _executor(engine: SlowEngine, tmp_path: Path) -> tuple[TaskExecutor, list[TaskStatus]]:
    seen: list[TaskStatus] = []
    executor = TaskExecutor("a1", engine, seen.append, tmp_path)  # type: ignore[arg-type]
    executor.engine_ready.set()
    return executor, seen


async def _until(predicate: object) -> None:
    assert callable(predicate)
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_a_kill_before_the_engine_is_asked_launches_nothing(tmp_path: Path) -> None:
    engine = SlowEngine()
    executor, seen = _executor(engine, tmp_path)
    executor.launch("fw", SPEC)
    executor.kill("fw", "t1", 0.0)
    await _until(lambda: seen[-1].state.is_terminal)
    assert [s.state for s in seen] == [TaskState.STARTING, TaskState.KILLED]
    assert not engine.entered and engine.stopped == []
    await executor.close()


async def test_a_kill_while_the_engine_creates_it_cancels_the_launch(tmp_path: Path) -> None:
    engine = SlowEngine()
    executor, seen = _executor(engine, tmp_path)
    executor.launch("fw", SPEC)
    await _until(lambda: engine.entered)  # pulling or creating
    executor.kill("fw", "t1", 0.0)
    engine.release.set()
    await _until(lambda: seen[-1].state.is_terminal)
    assert [s.state for s in seen] == [TaskState.STARTING, TaskState.KILLED]
    assert seen[-1].reason == StatusReason.KILLED_BY_REQUEST
    assert "before its container started" in seen[-1].message
    assert engine.cancel_seen is True and engine.started == [] and engine.stopped == []
    await executor.close()


async def test_a_kill_while_the_engine_starts_it_stops_it_at_once(tmp_path: Path) -> None:
    engine = SlowEngine()
    engine.start_returns.clear()
    executor, seen = _executor(engine, tmp_path)
    executor.launch("fw", SPEC)
    engine.release.set()
    await _until(lambda: engine.started)  # past the last check: the engine starts it
    executor.kill("fw", "t1", 0.0)
    engine.start_returns.set()
    await _until(lambda: engine.stopped)
    # No grace period (the spec's is 5 s), and RUNNING is never reported:
    # the container's exit reports KILLED.
    assert engine.stopped == [("c1", 0.0)]
    assert [s.state for s in seen] == [TaskState.STARTING]
    await executor.close()


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
            client.api.remove_container(c["Id"], force=True)
        client.close()


async def test_a_launch_cancelled_once_created_leaves_no_container(
    containerizer: DockerContainerizer,
) -> None:
    with pytest.raises(LaunchCancelled):
        await containerizer.launch("fw", SPEC, cancelled=lambda: True)
    client = docker.from_env()
    try:
        left = client.api.containers(
            all=True, filters={"label": f"{LABEL_AGENT}={containerizer.agent_id}"}
        )
    finally:
        client.close()
    assert left == []
    # And one not cancelled starts as before.
    container_id = await containerizer.launch("fw", SPEC)
    assert isinstance(container_id, str) and container_id
