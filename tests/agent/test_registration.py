"""An agent registers once and keeps the id the master gave it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

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


def test_a_second_agent_on_the_same_work_dir_exits_at_once(cluster: Cluster) -> None:
    """It would share the first one's id and take it from it, over and over."""
    cluster.start_master()
    first = cluster.start_agent("cpus:1;mem:256")
    second = subprocess.run(
        [sys.executable, "-m", *first.args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1
    said = second.stderr.strip()
    assert said.startswith(
        f"offer-agent: work dir {first.work_dir} is in use by pid {first.popen.pid} "
        f"({Path(sys.executable).name} -m agent.cli "
    ), said
    assert said.endswith("; stop that daemon or give another --work-dir"), said
    assert "\n" not in said
    [listed] = cluster.list("agents")
    assert (listed.agent_id, listed.status) == (first.agent_id, "active")
