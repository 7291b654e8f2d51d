"""Host ports reach a task's environment (PORT0, PORT_<container port>),
set by the agent for every framework's tasks: a real container prints its
env to a host directory."""

from __future__ import annotations

from pathlib import Path

from frameworks.sdk import Resources, TaskSpec
from offer.tasks import PortMapping, TaskState, Volume
from tests.support.cluster import HOST_MOUNTS, IMAGE, Cluster, free_ports
from tests.support.framework import framework


async def test_host_ports_are_in_the_task_env_unless_the_task_sets_them(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_secure_master(HOST_MOUNTS)  # host mounts need a grant
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(3)}")
    out = tmp_path / "out"
    out.mkdir()
    async with framework(cluster.address, security=cluster.security) as (driver, rec):
        offer = await rec.next_offer()
        first, second, third = (
            port for low, high in offer.resources.ports for port in range(low, high + 1)
        )
        spec = TaskSpec(
            "printer",
            "printer",
            Resources(0.1, 32, ports=tuple((p, p) for p in (first, second, third))),
            IMAGE,
            ("sh", "-c", "env > /out/env"),
            port_mappings=(
                PortMapping(8080, first),
                PortMapping(9090, second, "udp"),
                PortMapping(7070, third),
            ),
            env=(("PORT2", "mine"),),  # the task's own value wins
            volumes=(Volume(str(out), "/out"),),
            kill_grace_seconds=0.2,
        )
        await driver.accept([offer.offer_id], [spec], refuse_seconds=0)
        end = (await rec.until_terminal("printer"))[-1]
    assert (end.state, end.exit_code) == (TaskState.FINISHED, 0), end.message
    env = dict(line.split("=", 1) for line in (out / "env").read_text().splitlines() if "=" in line)
    assert env["PORT0"] == str(first)
    assert env["PORT1"] == str(second)
    assert env["PORT2"] == "mine"
    assert env["PORT_8080"] == str(first)
    assert env["PORT_9090"] == str(second)
    assert env["PORT_7070"] == str(third)
