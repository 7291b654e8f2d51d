"""The Docker containerizer, through a real agent and a real Docker engine."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from frameworks.sdk import Offer, Resources, TaskSpec
from offer import ranges
from offer.tasks import PortMapping, StatusReason, TaskState, Volume
from tests.support.cluster import HOST_MOUNTS, IMAGE, Cluster, free_ports, http_get, wait_for
from tests.support.framework import framework, task


async def test_a_port_is_published_and_answers(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(3)}")
    async with framework(cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        assert ranges.size(offer.resources.ports) == 3
        host_port = offer.resources.ports[0][0]
        web = TaskSpec(
            "web",
            "web",
            Resources(0.1, 32, ports=((host_port, host_port),)),
            IMAGE,
            ("httpd", "-f", "-p", "8080", "-h", "/www"),
            port_mappings=(PortMapping(8080, host_port),),
            kill_grace_seconds=0.2,
        )
        await driver.accept([offer.offer_id], [web], refuse_seconds=0)
        await rec.until_state("web", TaskState.RUNNING)
        body = await asyncio.to_thread(
            wait_for, lambda: http_get(f"http://127.0.0.1:{host_port}/"), 10, "httpd to answer"
        )
        assert body.strip() == "ok"

        rest = await rec.next_offer()  # the used port is no longer offered
        assert not ranges.contains(rest.resources.ports, ((host_port, host_port),))
        assert ranges.size(rest.resources.ports) == 2
        await driver.kill("web")
        await rec.until_state("web", TaskState.KILLED)


async def test_a_task_over_its_memory_limit_fails_as_out_of_memory(
    running_cluster: Cluster,
) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        # Allocating in the very first milliseconds can beat the engine's OOM
        # watch (containerd#8180); a real workload allocates after it starts.
        hog = task("hog", "sleep 0.5; dd if=/dev/zero of=/dev/null bs=64M count=1", mem=16)
        await rec.launch(driver, hog)
        end = (await rec.until_terminal("hog"))[-1]
    assert (end.state, end.reason, end.exit_code) == (
        TaskState.FAILED,
        StatusReason.OUT_OF_MEMORY,
        137,
    )
    assert end.message.startswith("out of memory: killed at its 16 MiB limit")


async def test_a_missing_image_fails_fast_and_blocks_nothing(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        await rec.launch(driver, task("ghost", image="offer-test/absent:1"), task("fine"))
        ghost = (await rec.until_terminal("ghost", timeout=15))[-1]
        fine = (await rec.until_terminal("fine"))[-1]
    assert (ghost.state, ghost.reason) == (TaskState.FAILED, StatusReason.IMAGE_UNAVAILABLE)
    assert "image 'offer-test/absent:1' is not on this agent and could not be pulled" in (
        ghost.message
    )
    assert fine.state == TaskState.FINISHED


async def test_env_working_dir_and_volumes_reach_the_container(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_secure_master(HOST_MOUNTS)  # host mounts need a grant
    cluster.start_agent()
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.txt").write_text("hello")
    checks = (
        '[ "$GREETING" = bonjour ] || exit 11; [ "$(pwd)" = /tmp ] || exit 12; '
        '[ "$(cat /data/in.txt)" = hello ] || exit 13; touch /data/x 2>/dev/null && exit 14; '
        "exit 0"
    )
    spec = TaskSpec(
        "env",
        "env",
        Resources(0.1, 32),
        IMAGE,
        ("sh", "-c", checks),
        env=(("GREETING", "bonjour"),),
        working_dir="/tmp",
        volumes=(Volume(str(shared), "/data", read_only=True),),
    )
    async with framework(cluster.address, security=cluster.security) as (driver, rec):
        await rec.launch(driver, spec)
        end = (await rec.until_terminal("env"))[-1]
    assert (end.state, end.exit_code) == (TaskState.FINISHED, 0), end.message


async def test_agent_kill9_leaves_tasks_running_and_readopts_them(running_cluster: Cluster) -> None:
    cluster = running_cluster
    agent = cluster.agents[0]
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("survivor", "sleep 300"), task("brief", "sleep 2"))
        await rec.until_state("survivor", TaskState.RUNNING)
        await rec.until_state("brief", TaskState.RUNNING)

        agent.stop(signal.SIGKILL)
        assert len(cluster.containers(agent)) == 2  # Docker keeps them running
        await asyncio.to_thread(
            wait_for,
            lambda: any(c["State"] == "exited" for c in cluster.containers(agent)),
            30,
            "the brief task to exit while its agent is down",
        )
        await asyncio.to_thread(cluster.restart_agent, agent)

        # The exit that happened while the agent was down is reported now...
        assert (await rec.until_terminal("brief"))[-1].state == TaskState.FINISHED
        # ...and the survivor was adopted: still RUNNING, and killable.
        [live] = [t for t in cluster.list("tasks") if t.task_id == "survivor"]
        assert live.status.state == TaskState.RUNNING
        await driver.kill("survivor")
        assert (await rec.until_terminal("survivor"))[-1].state == TaskState.KILLED
    assert not any(u.state == TaskState.LOST for u in rec.updates)
    await asyncio.to_thread(cluster.until_no_containers, agent)


async def test_two_agents_on_one_host_never_touch_each_others_containers(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    a = cluster.start_agent("cpus:1;mem:256")
    b = cluster.start_agent("cpus:1;mem:256")
    async with framework(cluster.address) as (driver, rec):
        # One offer from each agent, then one task on each: placement by choice,
        # not by the order in which offers happen to arrive.
        by_agent: dict[str, Offer] = {}
        while len(by_agent) < 2:
            offer = await rec.next_offer()
            by_agent.setdefault(offer.agent_id, offer)
        on: dict[str, str] = {}
        for (agent_id, offer), name in zip(sorted(by_agent.items()), ("one", "two"), strict=True):
            await driver.accept([offer.offer_id], [task(name, "sleep 300")])
            on[agent_id] = name
        assert set(on) == {a.agent_id, b.agent_id}
        for name in on.values():
            await rec.until_state(name, TaskState.RUNNING)

        # A restart of agent a adopts a's container only; b's is untouched.
        await asyncio.to_thread(cluster.restart_agent, a, signal.SIGKILL)
        assert [c["Labels"]["offer.task_id"] for c in cluster.containers(b)] == [on[b.agent_id]]
        await driver.kill(on[a.agent_id])
        await rec.until_state(on[a.agent_id], TaskState.KILLED)
        [left] = cluster.containers(b)
        assert left["State"] == "running"
        await asyncio.to_thread(cluster.until_no_containers, a)
    assert rec.latest(on[b.agent_id]).state == TaskState.RUNNING  # type: ignore[union-attr]
