"""Clients given every master of an HA group (issue 22): two real masters on
one PostgreSQL, one leading and one standing by. An agent, an SDK framework
and offerctl given `standby,leader` end up on the leader; kill -9 the leader
and they follow the standby that takes over, the framework keeping its id."""

from __future__ import annotations

import asyncio
import json
import signal

import grpc

from offer.v1 import operator_pb2, operator_pb2_grpc
from tests.support.cluster import Cluster, wait_for
from tests.support.framework import Recorder, framework
from tests.support.ha import HaMasters


def live_agents(address: str) -> set[str]:
    with grpc.insecure_channel(address) as channel:
        stub = operator_pb2_grpc.OperatorStub(channel)
        agents = stub.ListAgents(operator_pb2.ListAgentsRequest(), timeout=5).agents
    return {a.agent_id for a in agents if a.status not in ("disconnected", "lost")}


def offerctl_agents(cluster: Cluster, masters: str) -> set[str]:
    done = cluster.offerctl("agents", "-o", "json", master=masters)
    assert done.returncode == 0, done.stderr
    return {a["agent_id"] for a in json.loads(done.stdout)}


async def test_clients_find_the_leader_and_follow_it(cluster: Cluster, masters: HaMasters) -> None:
    leader = masters.start()
    wait_for(lambda: masters.leads(leader), what="the first master leading")
    standby = masters.start()
    wait_for(
        lambda: masters.role(standby) == (operator_pb2.MASTER_ROLE_STANDBY, leader),
        what="the second master standing by",
    )
    both = f"{standby},{leader}"  # the standby first: it has to be followed

    cluster.address = leader  # where the cluster's helpers look for the agent
    agent = cluster.start_agent("cpus:1;mem:256", "--master", both)
    assert f"master {standby} is a standby; following the leader {leader}" in agent.log()
    assert offerctl_agents(cluster, both) == {agent.agent_id}
    # One address, a standby's: offerctl follows it to the leader once.
    assert offerctl_agents(cluster, standby) == {agent.agent_id}

    rec = Recorder()
    async with framework(both, rec, failover_timeout=300) as (driver, _):
        assert driver.master == leader
        framework_id = rec.framework_id

        masters.procs[leader].send_signal(signal.SIGKILL)
        await asyncio.to_thread(
            wait_for, lambda: masters.leads(standby), 15, "the standby taking over"
        )
        await rec.until(lambda: rec.subscriptions >= 2 and driver.master == standby)
        assert rec.framework_id == framework_id and driver.resubscribed
        await asyncio.to_thread(
            wait_for,
            lambda: agent.agent_id in live_agents(standby),
            30,
            "the agent registered with the new leader",
        )
        # The dead master first: passed over.
        assert offerctl_agents(cluster, f"{leader},{standby}") == {agent.agent_id}
        frameworks = cluster.offerctl("frameworks", "-o", "json", master=both)
        assert frameworks.returncode == 0, frameworks.stderr
        assert [f["framework_id"] for f in json.loads(frameworks.stdout)] == [framework_id]
