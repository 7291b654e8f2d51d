"""Live usage reported by agents, and draining an agent for maintenance."""

from __future__ import annotations

import asyncio

from offer.tasks import StatusReason, TaskState
from tests.support.cluster import Cluster, wait_for
from tests.support.framework import framework, task


async def test_machine_and_task_usage_show_in_offerctl(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024", "--usage-interval", "0.3")
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("burner", "while :; do :; done", cpus=0.5, mem=32))
        await rec.until_state("burner", TaskState.RUNNING)

        def burning() -> dict | None:  # type: ignore[type-arg]
            [t] = cluster.offerctl_json("tasks")
            usage = t["usage"]
            return usage if usage and usage["cpus_used"] > 0.2 else None

        usage = await asyncio.to_thread(wait_for, burning, 15, "the burner's CPU use")
        # Its limit is 0.5 cpu: the engine holds it there (a sample may overshoot a little).
        assert 0.2 < usage["cpus_used"] < 0.75
        assert usage["mem_used"] > 0
        [agent] = cluster.offerctl_json("agents")
        assert agent["usage"]["cpus_used"] > 0.2
        assert agent["usage"]["mem_used"] > 0
        table = cluster.offerctl("tasks").stdout
        assert "burner" in table and " cpu, " in table.split("burner", 1)[1]


async def test_drain_stops_offers_and_kills_tasks_at_the_deadline(cluster: Cluster) -> None:
    cluster.start_master()
    a = cluster.start_agent("cpus:1;mem:256")
    b = cluster.start_agent("cpus:1;mem:256")
    async with framework(cluster.address) as (driver, rec):
        offer = await rec.launch(driver, task("resident", "sleep 300"))
        drained = offer.agent_id
        other = b.agent_id if drained == a.agent_id else a.agent_id
        await rec.until_state("resident", TaskState.RUNNING)

        done = cluster.offerctl("agent", "drain", drained, "--deadline", "1")
        assert done.returncode == 0, done.stderr
        assert f"agent {drained} is draining" in done.stdout
        status = {x["agent_id"]: x["status"] for x in cluster.offerctl_json("agents")}
        assert status == {drained: "draining", other: "active"}

        killed = await rec.until_state("resident", TaskState.KILLED)
        assert killed.reason == StatusReason.AGENT_DRAINED
        assert killed.message == "killed: its agent is drained for maintenance"
        # Offers keep coming, only for the other agent.
        for _ in range(3):
            offer = await rec.next_offer()
            assert offer.agent_id == other
            await driver.decline([offer.offer_id], refuse_seconds=0)

        assert cluster.offerctl("agent", "reactivate", drained).returncode == 0
        seen = len(rec.offers_seen)
        await rec.until(lambda: any(o.agent_id == drained for o in rec.offers_seen[seen:]))


def test_draining_an_unknown_agent_is_one_clear_line(running_cluster: Cluster) -> None:
    done = running_cluster.offerctl("agent", "drain", "agent-nope")
    assert done.returncode == 1
    assert done.stderr.strip() == "offerctl: no agent 'agent-nope' is known (not found)"
