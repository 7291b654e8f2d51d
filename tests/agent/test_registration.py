"""An agent registers once and keeps the id the master gave it."""

from __future__ import annotations

import signal

from tests.support.cluster import Cluster


def test_agent_keeps_its_id_across_restarts(cluster: Cluster) -> None:
    cluster.start_master()
    agent = cluster.start_agent("cpus:1;mem:256")
    first_id = agent.agent_id
    assert first_id.startswith("agent-")

    cluster.restart_agent(agent)
    cluster.restart_agent(agent, signal.SIGKILL)

    [listed] = cluster.list("agents")
    assert (listed.agent_id, listed.status, listed.hostname) == (first_id, "active", "host0")
    assert (listed.total.cpus, listed.total.mem) == (1, 256)


def test_agents_on_one_host_get_distinct_ids(cluster: Cluster) -> None:
    cluster.start_master()
    a, b = cluster.start_agent("cpus:1;mem:256"), cluster.start_agent("cpus:1;mem:256")
    assert a.agent_id != b.agent_id
    assert {x.agent_id for x in cluster.list("agents")} == {a.agent_id, b.agent_id}
