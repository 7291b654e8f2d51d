"""Nothing is lost when a process dies: master kill -9 (its state on SQLite
and on PostgreSQL), agent loss, framework failover."""

from __future__ import annotations

import asyncio
import signal
from collections import defaultdict

import pytest
from sqlalchemy import create_engine, text

from frameworks.sdk import SchedulerDriver, TaskStatus
from offer.tasks import StatusReason, TaskState
from tests.support.cluster import Cluster, wait_for
from tests.support.framework import Recorder, framework, task

ORDER = [TaskState.STARTING, TaskState.RUNNING]


def assert_consistent(updates: list[TaskStatus]) -> None:
    """No uuid names two states, and each task's updates follow its lifecycle."""
    by_uuid: dict[str, set[TaskState]] = defaultdict(set)
    per_task: dict[str, list[TaskStatus]] = defaultdict(list)
    for u in updates:
        if u.uuid:
            by_uuid[u.uuid].add(u.state)
            if all(u.uuid != seen.uuid for seen in per_task[u.task_id]):
                per_task[u.task_id].append(u)
    assert all(len(states) == 1 for states in by_uuid.values())
    for task_id, seq in per_task.items():
        states = [u.state for u in seq]
        live, end = states[:-1], states[-1]
        assert live == ORDER[: len(live)], f"{task_id}: {states}"
        assert end in ORDER or end.is_terminal, f"{task_id}: {states}"
        assert sum(s.is_terminal for s in states) <= 1, f"{task_id}: {states}"


def db_rows(cluster: Cluster, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(cluster.db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.fixture
def cluster_on(cluster: Cluster, db_url: str) -> Cluster:
    """running_cluster's master and agent, the master's state on each kind of
    database the store runs on."""
    cluster.db_url = db_url
    cluster.start_master()
    cluster.start_agent()
    return cluster


async def test_master_kill9_with_tasks_running_and_updates_in_flight(
    cluster_on: Cluster,
) -> None:
    cluster = cluster_on
    longs = [task(f"long{i}", "sleep 300") for i in range(2)]
    quicks = [task(f"quick{i}", "sleep 2") for i in range(3)]
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, *longs, *quicks)
        for spec in [*longs, *quicks]:
            await rec.until_state(spec.task_id, TaskState.RUNNING)

        cluster.master.stop(signal.SIGKILL)  # type: ignore[union-attr]
        # The quick tasks end while the master is down: their updates wait at the agent.
        await asyncio.to_thread(
            wait_for, lambda: len(cluster.containers()) == 2, 30, "quick containers to exit"
        )
        await asyncio.to_thread(cluster.restart_master, signal.SIGKILL)

        for spec in quicks:
            await rec.until_state(spec.task_id, TaskState.FINISHED)
        assert rec.subscriptions == 2  # the driver re-subscribed with its id
        await asyncio.to_thread(
            wait_for,
            lambda: not db_rows(cluster, "SELECT uuid FROM status_updates WHERE NOT acknowledged"),
            30,
            "every update to be acknowledged",
        )

    states = {t.task_id: TaskState(t.status.state) for t in cluster.list("tasks")}
    assert states == {
        **{s.task_id: TaskState.RUNNING for s in longs},
        **{s.task_id: TaskState.FINISHED for s in quicks},
    }
    assert_consistent(rec.updates)
    # Each state of each task was persisted exactly once.
    assert (
        db_rows(
            cluster,
            "SELECT task_id, state, count(*) FROM status_updates GROUP BY 1, 2 HAVING count(*) > 1",
        )
        == []
    )


async def test_master_kill9_right_after_accept_accounts_for_every_task(
    cluster_on: Cluster,
) -> None:
    cluster = cluster_on
    specs = [task(f"t{i}", "sleep 300") for i in range(4)]
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, *specs)
        cluster.master.stop(signal.SIGKILL)  # type: ignore[union-attr]
        await asyncio.to_thread(cluster.restart_master, signal.SIGKILL)
        # Each task either reached the agent (RUNNING) or is reported LOST.
        for spec in specs:
            await rec.until_state(spec.task_id, TaskState.RUNNING, TaskState.LOST)

    final = {t.task_id: TaskState(t.status.state) for t in cluster.list("tasks")}
    assert set(final) == {s.task_id for s in specs}
    assert set(final.values()) <= {TaskState.RUNNING, TaskState.LOST}
    running_containers = {c["Labels"]["offer.task_id"] for c in cluster.containers()}
    assert running_containers == {t for t, s in final.items() if s == TaskState.RUNNING}
    assert_consistent(rec.updates)


async def test_lost_agent_tasks_become_lost_and_are_killed_when_it_returns(
    cluster: Cluster,
) -> None:
    cluster.start_master("--agent-timeout", "1")
    agent = cluster.start_agent()
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("orphan", "sleep 300"))
        await rec.until_state("orphan", TaskState.RUNNING)

        agent.stop(signal.SIGKILL)  # its container keeps running
        lost = await rec.until_state("orphan", TaskState.LOST)
        assert lost.reason == StatusReason.AGENT_LOST
        assert "was lost: no contact for 1s" in lost.message
        await rec.until(lambda: agent.agent_id in rec.failures)
        [listed] = cluster.list("agents")
        assert listed.status == "lost"

        before = len(rec.updates)
        await driver.kill("orphan")  # the answer is its state, not silence
        await rec.until(lambda: len(rec.updates) > before)
        assert rec.updates[-1].state == TaskState.LOST
        assert len(cluster.containers(agent)) == 1

        await asyncio.to_thread(cluster.restart_agent, agent)
        # It reports the container it adopted; the master has it LOST and kills it.
        await asyncio.to_thread(
            wait_for, lambda: cluster.containers(agent) == [], 30, "the stray container to go"
        )
    [listed] = cluster.list("agents")
    assert listed.status == "active"
    [orphan] = cluster.list("tasks")
    assert orphan.status.state == TaskState.LOST


async def test_framework_past_its_failover_timeout_is_removed_and_its_tasks_killed(
    running_cluster: Cluster,
) -> None:
    cluster = running_cluster
    async with framework(cluster.address, failover_timeout=1.0) as (driver, rec):
        await rec.launch(driver, task("abandoned", "sleep 300"))
        await rec.until_state("abandoned", TaskState.RUNNING)
    # The framework is gone; after 1 s the master removes it and kills its task.
    await asyncio.to_thread(
        wait_for,
        lambda: cluster.list("tasks")[0].status.state == TaskState.KILLED,
        30,
        "the abandoned task to be killed",
    )
    [fw] = cluster.list("frameworks")
    assert fw.removed
    await asyncio.to_thread(cluster.until_no_containers)


async def test_framework_resubscribing_in_time_keeps_its_tasks(running_cluster: Cluster) -> None:
    cluster = running_cluster
    async with framework(cluster.address, failover_timeout=60) as (driver, rec):
        await rec.launch(driver, task("kept", "sleep 300"))
        await rec.until_state("kept", TaskState.RUNNING)
        framework_id = rec.framework_id

    async with framework(cluster.address, framework_id=framework_id) as (driver, again):
        assert again.framework_id == framework_id
        await driver.reconcile()
        answer = await again.until_state("kept", TaskState.RUNNING)
        assert answer.reason == StatusReason.RECONCILIATION
        await driver.kill("kept")
        await again.until_state("kept", TaskState.KILLED)


class DropsFirstFinish(Recorder):
    """Fails while handling its first FINISHED update, so it is not acknowledged."""

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        await super().update(driver, status)
        if (
            status.state == TaskState.FINISHED
            and len([u for u in self.updates if u.state == TaskState.FINISHED]) == 1
        ):
            raise RuntimeError("crashed while handling the update")


async def test_unacknowledged_updates_are_resent_after_resubscribing(
    running_cluster: Cluster,
) -> None:
    cluster = running_cluster
    async with framework(cluster.address, DropsFirstFinish()) as (driver, rec):
        await rec.launch(driver, task("once"))
        first = await rec.until_state("once", TaskState.FINISHED)
        framework_id = rec.framework_id

    async with framework(cluster.address, framework_id=framework_id) as (_, again):
        again_finish = await again.until_state("once", TaskState.FINISHED)
    assert again_finish.uuid == first.uuid
    assert db_rows(cluster, "SELECT count(*) FROM status_updates WHERE NOT acknowledged") == [(0,)]
