"""Spread by default, end to end (issue 28): real master, agents on one
engine, offer-service and real containers. Draining one agent leaves the
app's other half running throughout; spread_by zone and binpack place as
the planner's table says."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path

from tests.frameworks.service.test_service import SLEEPER, deploy, until_running
from tests.support.cluster import Cluster, wait_for


def running_containers(cluster: Cluster) -> Counter[str]:
    """Running containers per agent id, straight from the engine."""
    agent_of = {
        c["Id"]: agent.agent_id
        for agent in cluster.agents
        for c in cluster.containers(agent)
        if c["State"] == "running"
    }
    return Counter(agent_of.values())


async def test_draining_one_of_two_agents_keeps_the_other_half_running(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    a = cluster.start_agent("cpus:2;mem:1024", "--attributes", "zone:a")
    b = cluster.start_agent("cpus:2;mem:1024", "--attributes", "zone:b")
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=4))
    four = await asyncio.to_thread(until_running, cluster, 4)
    # Spread by default: two on each agent, though either has room for all four.
    assert Counter(t["agent_id"] for t in four) == {a.agent_id: 2, b.agent_id: 2}
    shown = cluster.app("show", "web").stdout
    assert "spread over agents: host0 2, host1 2" in shown
    assert "spread over zone: a 2, b 2" in shown
    assert cluster.app_json("web")["spread"] == {
        "agents": {"host0": 2, "host1": 2},
        "attributes": {"zone": {"a": 2, "b": 2}},
    }
    kept = {t["task_id"] for t in four if t["agent_id"] == b.agent_id}

    # Watch the engine while agent a drains: the fewest running at any moment.
    fewest: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            fewest.append(sum(running_containers(cluster).values()))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        done = cluster.offerctl("agent", "drain", a.agent_id, "--deadline", "0")
        assert done.returncode == 0, done.stderr

        def moved() -> bool:
            return running_containers(cluster) == {b.agent_id: 4}

        await asyncio.to_thread(wait_for, moved, 60, "all four instances on agent b")
        after = await asyncio.to_thread(until_running, cluster, 4)
    finally:
        stop.set()
        watcher.join()
    assert fewest and min(fewest) >= 2, f"running instances seen: {fewest}"
    # b's two were never touched; the two replacements went there too.
    assert kept <= {t["task_id"] for t in after}
    assert {t["agent_id"] for t in after} == {b.agent_id}


async def test_spread_by_zone_over_unequal_zones_and_binpack_end_to_end(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Issue 28's other two proofs with real processes: 6 instances spread
    by zone over zones of 1, 2 and 3 agents land 2/2/2; an app asking for
    binpack runs on one agent while it fits."""
    cluster.start_master()
    for zone in ("a", "b", "b", "c", "c", "c"):
        cluster.start_agent("cpus:1;mem:512", "--attributes", f"zone:{zone}")
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=6) + "spread_by: [zone]\n")
    await asyncio.to_thread(until_running, cluster, 6)
    assert cluster.app_json("web")["spread"]["attributes"]["zone"] == {"a": 2, "b": 2, "c": 2}

    dense = SLEEPER.format(n=4).replace("id: web", "id: dense") + "placement: binpack\n"
    deploy(cluster, tmp_path, dense)
    packed = await asyncio.to_thread(until_running, cluster, 4, "dense")
    assert len({t["agent_id"] for t in packed}) == 1
