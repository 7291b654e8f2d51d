"""A container launched through a resource offer, end to end: real master,
agent and Docker engine, with the test acting as the framework over gRPC."""

from __future__ import annotations

import asyncio
import sqlite3

from offer.tasks import TaskState
from tests.support.cluster import Cluster
from tests.support.framework import framework, task


async def test_exit_codes_become_finished_and_failed(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await driver.accept(
            [offer.offer_id], [task("ok", "exit 0"), task("bad", "echo boom; exit 3")]
        )
        ok = await rec.until_terminal("ok")
        bad = await rec.until_terminal("bad")

    assert [u.state for u in ok] == [TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED]
    assert ok[-1].exit_code == 0
    assert [u.state for u in bad] == [TaskState.STARTING, TaskState.RUNNING, TaskState.FAILED]
    assert bad[-1].exit_code == 3
    assert "exited with code 3" in bad[-1].message
    assert "boom" in bad[-1].message

    # Every update was written to SQLite before it reached us, and acknowledged.
    db = sqlite3.connect(running_cluster.root / "master.db")
    rows = db.execute(
        "SELECT task_id, state, acknowledged FROM status_updates ORDER BY seq"
    ).fetchall()
    states = {tid: [s for t, s, _ in rows if t == tid] for tid in ("ok", "bad")}
    assert states["ok"] == [
        TaskState.STAGING,
        TaskState.STARTING,
        TaskState.RUNNING,
        TaskState.FINISHED,
    ]
    assert states["bad"][-1] == TaskState.FAILED
    assert all(acked for *_, acked in rows)
    assert dict(db.execute("SELECT task_id, state FROM tasks")) == {
        "ok": TaskState.FINISHED,
        "bad": TaskState.FAILED,
    }


async def test_container_limits_and_labels_match_the_task(running_cluster: Cluster) -> None:
    agent = running_cluster.agents[0]
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await driver.accept([offer.offer_id], [task("limited", "sleep 60", cpus=0.5, mem=48)])
        while (await rec.next_update()).state != TaskState.RUNNING:
            pass
        [listed] = running_cluster.containers(agent)
        container = running_cluster.inspect(listed["Id"])
        host = container["HostConfig"]
        assert host["NanoCpus"] == 500_000_000
        assert host["Memory"] == 48 * 2**20
        labels = container["Config"]["Labels"]
        assert labels["offer.task_id"] == "limited"
        assert labels["offer.framework_id"] == rec.framework_id
        assert labels["offer.agent_id"] == agent.agent_id

        await driver.kill("limited")
        updates = await rec.until_terminal("limited")
    assert updates[-1].state == TaskState.KILLED
    await asyncio.to_thread(running_cluster.until_no_containers, agent)
    # The agent's log tells an operator what it started and what ended.
    log = agent.log()
    container_id = listed["Id"][:12]
    assert (
        f"INFO agent.executor: launching task limited of framework {rec.framework_id}: "
        "image offer-test/busybox:latest, 0.5 cpus, 48 MiB"
    ) in log
    assert (
        f"INFO agent.executor: started task limited of framework {rec.framework_id}: "
        f"container {container_id}"
    ) in log
    assert f"killing task limited of framework {rec.framework_id} (KILLED_BY_REQUEST)" in log
    assert f"task limited of framework {rec.framework_id} ended KILLED" in log


async def test_task_resources_return_to_the_pool_when_it_ends(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        first = await rec.next_offer()
        assert (first.resources.cpus, first.resources.mem) == (2, 1024)
        await driver.accept(
            [first.offer_id], [task("short", "exit 0", cpus=2, mem=1024)], refuse_seconds=0
        )
        await rec.until_terminal("short")
        again = await rec.next_offer()
    assert (again.resources.cpus, again.resources.mem) == (2, 1024)
