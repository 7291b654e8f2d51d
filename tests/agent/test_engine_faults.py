"""The agent outlives its Docker engine: it says so, takes no tasks meanwhile,
retries, and squares its tasks with the engine when it is back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import docker
import pytest

from offer.tasks import TaskState
from tests.support.cluster import IMAGE, Cluster, wait_for
from tests.support.engine import PrivateEngine
from tests.support.framework import framework, task


@pytest.fixture
def engine() -> Iterator[PrivateEngine]:
    e = PrivateEngine()
    try:
        yield e
    finally:
        e.close()


def agent_status(cluster: Cluster) -> str:
    [agent] = cluster.list("agents")
    return str(agent.status)


async def test_engine_stopped_and_restarted_under_a_running_agent(
    cluster: Cluster, engine: PrivateEngine
) -> None:
    engine.start()
    engine.load_test_image()
    cluster.start_master()
    agent = cluster.start_agent("cpus:1;mem:256", env={"DOCKER_HOST": engine.host})
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("sleeper", "sleep 300"))
        await rec.until_state("sleeper", TaskState.RUNNING)

        await asyncio.to_thread(engine.stop)  # kills its containers on the way down
        await asyncio.to_thread(
            wait_for, lambda: agent_status(cluster) == "engine unavailable", 20, "engine status"
        )
        assert agent.popen.poll() is None  # the agent did not crash
        assert "no new tasks until it is back, retrying" in agent.log()
        # Its offers went with the engine, in the same step as its status
        # (that later cycles make none: test_timers.py, on a manual clock).
        offers = cluster.offerctl("offers", "-o", "json")
        assert json.loads(offers.stdout) == [], offers.stdout

        await asyncio.to_thread(engine.start)
        await asyncio.to_thread(
            wait_for, lambda: agent_status(cluster) == "active", 30, "the engine to be back"
        )
        end = (await rec.until_terminal("sleeper"))[-1]
        assert end.state == TaskState.FAILED  # its container died with the engine
        await rec.launch(driver, task("after"))
        assert (await rec.until_terminal("after"))[-1].state == TaskState.FINISHED
    events = cluster.offerctl(
        "events", "--no-follow", "--last", "100", "--type", "agent", "-o", "json"
    )
    kinds = [json.loads(line)["type"] for line in events.stdout.splitlines()]
    engine_events = [k for k in kinds if "ENGINE" in k]
    assert engine_events == ["AGENT_ENGINE_UNAVAILABLE", "AGENT_ENGINE_AVAILABLE"], kinds

    # The private engine came and went without harming the shared one.
    shared = docker.from_env()
    try:
        assert shared.containers.run(IMAGE, ["echo", "ok"], remove=True).strip() == b"ok"
    finally:
        shared.close()


async def test_engine_down_when_a_new_agent_starts(cluster: Cluster, engine: PrivateEngine) -> None:
    cluster.start_master()
    agent = cluster.start_agent("cpus:1;mem:256", env={"DOCKER_HOST": engine.host})
    await asyncio.to_thread(
        wait_for, lambda: agent_status(cluster) == "engine unavailable", 20, "engine status"
    )
    assert "cannot reach the Docker engine" in agent.log()
    engine.start()
    engine.load_test_image()
    await asyncio.to_thread(
        wait_for, lambda: agent_status(cluster) == "active", 30, "the engine to be reached"
    )
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("first"))
        assert (await rec.until_terminal("first"))[-1].state == TaskState.FINISHED
