"""KILLING: a kill in flight is a state people and frameworks see. The agent
says KILLING when it sends SIGTERM to a running container, and the task
stays KILLING (live, its resources still taken) until the container is
gone; then KILLED. Real master, agent and Docker engine; the container
ignores SIGTERM, so it uses its whole grace period."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace

from offer.tasks import StatusReason, TaskState
from tests.support.cluster import Cluster
from tests.support.framework import framework, task

# Ignores SIGTERM (children inherit the ignored signal), so only the SIGKILL
# at the end of the grace period ends it.
STUBBORN = "trap '' TERM; echo up; sleep 300"
# Long enough to look at the task (offerctl, a master restart) while it is
# KILLING; the test awaits events and never this long on purpose.
GRACE = 6.0


def _state_in_offerctl(cluster: Cluster, task_id: str) -> str:
    [row] = [t for t in cluster.offerctl_json("tasks") if t["task_id"] == task_id]
    return str(row["state"])


async def test_a_kill_in_flight_is_killing_until_the_container_is_gone(
    running_cluster: Cluster,
) -> None:
    cluster = running_cluster
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, replace(task("stubborn", STUBBORN), kill_grace_seconds=GRACE))
        await rec.until_state("stubborn", TaskState.RUNNING)
        await driver.kill("stubborn")
        killing = await rec.until_state("stubborn", TaskState.KILLING)
        assert killing.reason == StatusReason.KILLED_BY_REQUEST
        assert "SIGTERM sent" in killing.message
        # The container is still there, and every view says the kill is in flight.
        assert rec.latest("stubborn").state == TaskState.KILLING  # type: ignore[union-attr]
        assert len(cluster.containers()) == 1
        assert await asyncio.to_thread(_state_in_offerctl, cluster, "stubborn") == "KILLING"
        table = cluster.offerctl("tasks").stdout
        assert "KILLING" in table
        [listed] = cluster.list("tasks")
        assert listed.status.state == TaskState.KILLING
        updates = await rec.until_terminal("stubborn")
    states = [u.state for u in updates]
    assert states[-2:] == [TaskState.KILLING, TaskState.KILLED]
    assert states.count(TaskState.KILLING) == 1
    assert await asyncio.to_thread(_state_in_offerctl, cluster, "stubborn") == "KILLED"


async def test_a_master_restart_during_killing_keeps_the_task_killing_then_killed(
    running_cluster: Cluster,
) -> None:
    cluster = running_cluster
    async with framework(cluster.address, failover_timeout=60) as (driver, rec):
        await rec.launch(driver, replace(task("stubborn", STUBBORN), kill_grace_seconds=GRACE))
        await rec.until_state("stubborn", TaskState.RUNNING)
        await driver.kill("stubborn")
        await rec.until_state("stubborn", TaskState.KILLING)
        await asyncio.to_thread(cluster.restart_master)
        # Reloaded from the store: a live task, still being killed.
        [listed] = cluster.list("tasks")
        assert listed.status.state in (TaskState.KILLING, TaskState.KILLED)
        updates = await rec.until_terminal("stubborn")
    assert updates[-1].state == TaskState.KILLED
    assert updates[-1].reason == StatusReason.KILLED_BY_REQUEST
    await asyncio.to_thread(cluster.until_no_containers)


async def test_an_agent_killed_during_killing_is_told_the_kill_again(
    running_cluster: Cluster,
) -> None:
    cluster = running_cluster
    [agent] = cluster.agents
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, replace(task("stubborn", STUBBORN), kill_grace_seconds=GRACE))
        await rec.until_state("stubborn", TaskState.RUNNING)
        await driver.kill("stubborn")
        await rec.until_state("stubborn", TaskState.KILLING)
        # The agent dies with the kill under way; the container outlives it
        # and the restarted agent takes it back as running.
        await asyncio.to_thread(cluster.restart_agent, agent, signal.SIGKILL)
        updates = await rec.until_terminal("stubborn")
    assert updates[-1].state == TaskState.KILLED
    assert updates[-1].reason == StatusReason.KILLED_BY_REQUEST
    await asyncio.to_thread(cluster.until_no_containers)
