"""Engine (named) volumes through a real master, agent and Docker engine:
kept beyond the task, scoped to the framework, no grant needed; names the
engine would refuse fail the task, saying which."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import docker
import pytest

from agent.containerizer.volumes import VolumeProblem, engine_volume_name, named_volume_mounts
from frameworks.sdk import CallRefusedError
from offer.tasks import NamedVolume, StatusReason, TaskState
from tests.support.cluster import Cluster
from tests.support.framework import framework, task

# ACLs that grant nothing to containers: host mounts would be refused.
NO_GRANTS = """
register_frameworks: [{principals: "*", roles: "*"}]
register_agents: [{principals: "*"}]
operator: [{principals: "*", actions: "*"}]
"""


@pytest.fixture
def engine() -> Iterator[docker.DockerClient]:
    client = docker.from_env()
    try:
        yield client
    finally:
        client.close()


def remove_volumes(client: docker.DockerClient, framework_id: str) -> None:
    for volume in client.volumes.list(filters={"label": f"offer.framework_id={framework_id}"}):
        volume.remove(force=True)


async def test_a_named_volume_outlives_its_task_without_a_grant(
    cluster: Cluster, engine: docker.DockerClient
) -> None:
    cluster.start_secure_master(NO_GRANTS)
    cluster.start_agent()
    data = (NamedVolume("web.0.data", "/data"),)
    write = replace(task("write", "echo kept > /data/f"), named_volumes=data)
    read = replace(task("read", '[ "$(cat /data/f)" = kept ]'), named_volumes=data)
    async with framework(cluster.address, security=cluster.security) as (driver, rec):
        assert driver.framework_id
        try:
            await rec.launch(driver, write)
            end = (await rec.until_terminal("write"))[-1]
            assert (end.state, end.exit_code) == (TaskState.FINISHED, 0), end.message
            await rec.launch(driver, read)
            end = (await rec.until_terminal("read"))[-1]
            assert (end.state, end.exit_code) == (TaskState.FINISHED, 0), end.message
            volume = engine.volumes.get(engine_volume_name(driver.framework_id, "web.0.data"))
            assert volume.name == f"offer-{driver.framework_id}-web.0.data"
            assert volume.attrs["Labels"] == {
                "offer.volume": "web.0.data",
                "offer.framework_id": driver.framework_id,
            }
        finally:
            await asyncio.to_thread(cluster.until_no_containers)  # then the volume is free
            remove_volumes(engine, driver.framework_id)


async def test_a_volume_name_the_engine_would_refuse_is_refused_at_accept(
    running_cluster: Cluster,
) -> None:
    bad = replace(task("bad"), named_volumes=(NamedVolume("../etc", "/data"),))
    async with framework(running_cluster.address) as (driver, rec):
        with pytest.raises(CallRefusedError) as refused:
            await rec.launch(driver, bad)
        assert refused.value.code == "INVALID_ARGUMENT"
        assert "volume_name '../etc' is malformed: use 1-128 letters" in str(refused.value)


@pytest.mark.parametrize(
    ("volume", "says"),
    [
        (NamedVolume("../etc", "/data"), "volume name '../etc' is not 1-128 letters"),
        (NamedVolume("ok", "data"), "volume 'ok': container_path 'data' must be an absolute"),
    ],
)
def test_the_agent_refuses_them_too(volume: NamedVolume, says: str) -> None:
    """What a master older than the check would let through fails the task
    on the agent (INVALID_TASK), naming the volume."""
    with pytest.raises(VolumeProblem) as problem:
        named_volume_mounts("fw-1", replace(task("t"), named_volumes=(volume,)))
    assert says in str(problem.value)
    assert problem.value.reason == StatusReason.INVALID_TASK


def test_framework_ids_the_engine_cannot_name_are_hashed() -> None:
    assert engine_volume_name("fw-1a2b", "db.0.data") == "offer-fw-1a2b-db.0.data"
    hashed = engine_volume_name("a:b", "v")
    assert hashed.startswith("offer-h") and len(hashed) == len("offer-h") + 16 + len("-v")
    assert hashed != engine_volume_name("a_b", "v")
