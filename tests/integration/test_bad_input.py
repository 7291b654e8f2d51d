"""Bad input is refused with a clear error and changes nothing: no task is
recorded and no container is started for it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from frameworks.sdk import CallRefusedError
from offer.tasks import TaskState
from offer.v1 import agent_pb2, agent_pb2_grpc, common_pb2
from tests.support.cluster import Cluster
from tests.support.framework import framework, task


async def test_refused_accepts_leave_the_offer_usable(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()

        with pytest.raises(CallRefusedError) as too_big:
            await driver.accept([offer.offer_id], [task("huge", cpus=3)])
        assert too_big.value.code == "INVALID_ARGUMENT"
        assert "need more than the offers hold (cpus 3 > 2)" in too_big.value.message

        with pytest.raises(CallRefusedError) as no_image:
            await driver.accept([offer.offer_id], [task("noimage", image="")])
        assert no_image.value.code == "INVALID_ARGUMENT"
        assert "container.image is empty" in no_image.value.message

        with pytest.raises(CallRefusedError) as unknown:
            await driver.accept(["no-such-offer"], [task("lost")])
        assert unknown.value.code == "NOT_FOUND"
        assert "'no-such-offer' is not outstanding" in unknown.value.message

        with pytest.raises(CallRefusedError) as twice:
            await driver.accept([offer.offer_id], [task("dup"), task("dup")])
        assert "appears twice" in twice.value.message

        assert running_cluster.list("tasks") == []
        assert running_cluster.containers() == []

        # Nothing changed: the very same offer still launches a good task.
        await driver.accept([offer.offer_id], [task("good")])
        assert (await rec.until_terminal("good"))[-1].state == TaskState.FINISHED

        with pytest.raises(CallRefusedError) as used:
            await driver.accept([offer.offer_id], [task("again")])
        assert used.value.code == "NOT_FOUND"
        assert "already accepted or declined" in used.value.message

    assert [t.task_id for t in running_cluster.list("tasks")] == ["good"]


async def test_reused_task_id_is_refused(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, rec):
        offer = await rec.next_offer()
        await driver.accept([offer.offer_id], [task("once")], refuse_seconds=0)
        await rec.until_terminal("once")
        offer = await rec.next_offer()
        with pytest.raises(CallRefusedError) as reused:
            await driver.accept([offer.offer_id], [task("once")])
    assert "already used by this framework" in reused.value.message


def test_malformed_resource_string_stops_the_agent_before_it_registers(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "--master",
            cluster.address,
            "--resources",
            "cpus:two;mem:512",
            "--work-dir",
            str(cluster.root / "bad-agent"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--resources: 'two' is not a number in 'cpus:two'" in done.stderr
    assert "Traceback" not in done.stderr
    assert cluster.list("agents") == []


async def test_unknown_framework_is_refused(running_cluster: Cluster) -> None:
    async with framework(running_cluster.address) as (driver, _rec):
        driver.framework_id = "fw-unknown"
        with pytest.raises(CallRefusedError) as refused:
            await driver.decline(["x"])
    assert refused.value.code == "NOT_FOUND"
    assert "framework 'fw-unknown' is not known" in refused.value.message


def test_a_registration_advertising_a_hostname_is_refused(cluster: Cluster) -> None:
    """Register.address must be an IP literal: the master refuses anything
    else, naming it, and records no agent (the agent's CLI checks it first;
    this is an agent of another make talking to the master directly)."""
    cluster.start_master()
    register = agent_pb2.AgentMessage(
        register=agent_pb2.Register(
            hostname="h1", address="h1.example", total=common_pb2.Resources(cpus=1, mem=256)
        )
    )
    with cluster.security.channel(cluster.address) as channel:
        replies = list(agent_pb2_grpc.AgentStub(channel).Connect(iter([register]), timeout=10))
    assert [r.WhichOneof("message") for r in replies] == ["shutdown_reason"]
    assert "agent address 'h1.example' is not an IP address" in replies[0].shutdown_reason
    assert "--advertise-address" in replies[0].shutdown_reason
    assert cluster.list("agents") == []
