"""Several real master processes on one PostgreSQL: one leads, the others
stand by naming it; kill -9 the leader and a standby leads with the state;
a leader whose lease moved on, or that was paused past it, stops serving."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import grpc
import pytest
from sqlalchemy import create_engine, text

from offer.leader import LEADER_KEY, is_standby_answer, leader_from
from offer.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    common_pb2,
    operator_pb2,
    operator_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
)
from tests.support.cluster import wait_for
from tests.support.ha import LEASE, HaMasters

LOST_LEAD_EXIT = 75


def _leads(masters: HaMasters, address: str) -> bool:
    return masters.role(address) == (operator_pb2.MASTER_ROLE_LEADER, address)


def _list_agents(address: str) -> list[str]:
    with grpc.insecure_channel(address) as channel:
        stub = operator_pb2_grpc.OperatorStub(channel)
        answer = stub.ListAgents(operator_pb2.ListAgentsRequest(), timeout=5)
        return [a.agent_id for a in answer.agents]


def _list_frameworks(address: str) -> list[str]:
    with grpc.insecure_channel(address) as channel:
        stub = operator_pb2_grpc.OperatorStub(channel)
        answer = stub.ListFrameworks(operator_pb2.ListFrameworksRequest(), timeout=5)
        return [f.info.framework_id for f in answer.frameworks]


def _register_agent(address: str) -> str:
    register = agent_pb2.AgentMessage(
        register=agent_pb2.Register(
            hostname="h1", address="127.0.0.1", total=common_pb2.Resources(cpus=1, mem=256)
        )
    )
    with grpc.insecure_channel(address) as channel:
        replies = agent_pb2_grpc.AgentStub(channel).Connect(iter([register]), timeout=5)
        try:
            first = next(replies)
        finally:
            replies.cancel()
    assert first.WhichOneof("message") == "registered", first
    return str(first.registered.agent_id)


def _subscribe_framework(address: str) -> str:
    """Registers a framework that keeps its tasks for an hour once gone."""
    request = scheduler_pb2.SubscribeRequest(
        framework=common_pb2.FrameworkInfo(name="ha", user="u", failover_timeout=3600)
    )
    with grpc.insecure_channel(address) as channel:
        events = scheduler_pb2_grpc.SchedulerStub(channel).Subscribe(request, timeout=10)
        try:
            first = next(events)
        finally:
            events.cancel()
    assert first.WhichOneof("event") == "subscribed", first
    return str(first.subscribed.framework_id)


def _offerctl_status(master: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "offer.ctl.cli", "--master", master, "status", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_standby_names_the_leader_and_takes_over_when_it_dies(masters: HaMasters) -> None:
    first = masters.start()
    wait_for(lambda: _leads(masters, first), what="the first master leading")
    second = masters.start()
    wait_for(
        lambda: masters.role(second) == (operator_pb2.MASTER_ROLE_STANDBY, first),
        what="the second master standing by",
    )

    # Every call of every service on the standby: UNAVAILABLE, naming the leader.
    with pytest.raises(grpc.RpcError) as refused:
        _list_agents(second)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert refused.value.details() == f"this master is a standby; the leader is {first}"
    assert (LEADER_KEY, first) in tuple(refused.value.trailing_metadata() or ())
    assert leader_from(refused.value) == first and is_standby_answer(refused.value)
    with pytest.raises(grpc.RpcError) as refused:
        _register_agent(second)
    assert leader_from(refused.value) == first
    with pytest.raises(grpc.RpcError) as refused:
        _subscribe_framework(second)
    assert leader_from(refused.value) == first

    # offerctl status on the standby says it is one and names the leader.
    assert f"standby; the leader is {first}" in _offerctl_status(second)
    standby = json.loads(_offerctl_status(second, "-o", "json"))
    assert standby["leadership"] == {"role": "standby", "leader": first, "epoch": None}
    assert "agents" not in standby

    agent_id = _register_agent(first)
    framework_id = _subscribe_framework(first)

    masters.procs[first].send_signal(signal.SIGKILL)
    killed = time.monotonic()
    wait_for(lambda: _leads(masters, second), timeout=10, what="the standby leading")
    took = time.monotonic() - killed
    assert took < 3 * LEASE + 5, took  # bounded, with room for a loaded machine
    # It recovered the state from the database, as a restarted master does.
    assert _list_agents(second) == [agent_id]
    assert _list_frameworks(second) == [framework_id]
    assert "leading as" in masters.log(second)
    leading = json.loads(_offerctl_status(second, "-o", "json"))
    assert leading["leadership"] == {"role": "leader", "leader": second, "epoch": 2}
    assert leading["agents"]["total"] == 1

    # The old leader, started again, stands by naming the new one.
    masters.start(port=int(first.rsplit(":", 1)[1]))
    wait_for(
        lambda: masters.role(first) == (operator_pb2.MASTER_ROLE_STANDBY, second),
        what="the restarted master standing by",
    )


def test_a_leader_whose_lease_moved_on_stops_serving(masters: HaMasters) -> None:
    """Someone else took the lease (here by hand: epoch + 1): the leader's
    next renewal fails and it stops serving within its lease, exiting 75."""
    leader = masters.start()
    wait_for(lambda: _leads(masters, leader), what="the master leading")
    engine = create_engine(masters.db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE leadership SET epoch = epoch + 1, holder = 'elsewhere', "
                    "address = '10.9.9.9:5050', renewed_at = extract(epoch from now()), "
                    "lease_seconds = 60"
                )
            )
    finally:
        engine.dispose()
    moved = time.monotonic()
    assert masters.procs[leader].wait(timeout=3 * LEASE + 5) == LOST_LEAD_EXIT
    assert time.monotonic() - moved <= 3 * LEASE + 5
    assert "lost the lead (epoch 1): another master took the lease" in masters.log(leader)


def test_a_paused_leader_is_replaced_and_never_serves_again(masters: HaMasters) -> None:
    """The leader is paused (SIGSTOP) past its lease: a standby takes over;
    resumed, the old leader finds its lease over and exits without serving."""
    first = masters.start()
    wait_for(lambda: _leads(masters, first), what="the first master leading")
    second = masters.start()
    wait_for(lambda: masters.role(second) is not None, what="the second master answering")
    framework_id = _subscribe_framework(first)

    masters.procs[first].send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: _leads(masters, second), timeout=10, what="the standby leading")
    finally:
        masters.procs[first].send_signal(signal.SIGCONT)
    assert masters.procs[first].wait(timeout=3 * LEASE + 5) == LOST_LEAD_EXIT
    assert _list_frameworks(second) == [framework_id]
    status = masters.status(second)
    assert status is not None and status.epoch == 2
