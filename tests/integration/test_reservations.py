"""Reservations with real processes: a master, an agent running Docker
containers with resources statically reserved for `prod`, and two
frameworks on the public SDK (roles `prod` and `batch`): batch is never
offered the reserved part, prod is, and says so. A dynamic reservation
made through offerctl survives a kill -9 of the master and is honoured
after it."""

from __future__ import annotations

import signal

from tests.support.cluster import Cluster, wait_for
from tests.support.framework import Greedy, framework


async def test_static_reservations_are_offered_to_their_role_only(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_agent("cpus(prod):1;mem(prod):512;cpus:1;mem:512")
    [agent] = cluster.offerctl_json("agents")
    assert agent["total"]["cpus"] == 2
    assert agent["reservations"] == [
        {"role": "prod", "type": "static", "resources": {"cpus": 1.0, "mem": 512.0, "disk": 0.0}}
    ]

    batch = Greedy("b")
    async with framework(cluster.address, batch, "batch", role="batch"):
        await batch.until(lambda: len(batch.running) == 2)
        prod = Greedy("p")
        async with framework(cluster.address, prod, "svc", role="prod"):
            await prod.until(lambda: len(prod.running) == 2)
            # prod was offered its reservation, said reserved.
            assert (prod.reserved().cpus, prod.reserved().mem) == (1, 512)
            [agent] = cluster.offerctl_json("agents")
            assert agent["reserved_in_use"]["prod"]["cpus"] == 1
            [row] = cluster.offerctl_json("status")["reservations"]
            assert (row["role"], row["reserved"]["cpus"], row["in_use"]["cpus"]) == ("prod", 1, 1)
            listed = cluster.offerctl("agents")
            assert "prod: 1 cpu, 512 MiB" in listed.stdout, listed.stdout
        # batch was never offered the reserved part: only the unreserved cpu.
        assert batch.reserved().is_empty()
        assert batch.offered().cpus == 1


async def test_a_dynamic_reservation_survives_a_master_kill(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    [agent] = cluster.list("agents")
    done = cluster.offerctl("agent", "reserve", agent.agent_id, "--role", "prod", "cpus:1;mem:512")
    assert done.returncode == 0, done.stderr
    assert "reserved for role prod" in done.stdout

    cluster.restart_master(signal.SIGKILL)
    wait_for(
        lambda: [a.status for a in cluster.list("agents")] == ["active"],
        what="the agent back with the restarted master",
    )
    [row] = cluster.offerctl_json("agents")
    assert row["reservations"] == [
        {"role": "prod", "type": "dynamic", "resources": {"cpus": 1.0, "mem": 512.0, "disk": 0.0}}
    ]

    batch = Greedy("b")
    async with framework(cluster.address, batch, "batch", role="batch"):
        await batch.until(lambda: len(batch.running) == 2)
        prod = Greedy("p")
        async with framework(cluster.address, prod, "svc", role="prod"):
            await prod.until(lambda: len(prod.running) == 2)
            assert (prod.reserved().cpus, prod.reserved().mem) == (1, 512)
        assert batch.reserved().is_empty()
        assert batch.offered().cpus == 1
    refused = cluster.offerctl("agent", "unreserve", agent.agent_id, "--role", "prod", "cpus:5")
    assert refused.returncode == 1 and "less than" in refused.stderr, refused.stderr
