"""Anonymous volumes on a real cluster (real master without the
host_mounts grant, agent, offer-service, offerctl and Docker engine): the
container's volume is filled from the image's content at its path; a
replacement gets a fresh one; and the killed container's volume is gone
from the engine once the agent has removed the container."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.frameworks.service.test_compose_files import logs_with
from tests.frameworks.service.test_compose_volumes_e2e import (
    NO_GRANTS,
    kill_container,
    replacement,
    volumes_removed,
)
from tests.frameworks.service.test_service import service_framework, until_running
from tests.support.cluster import Cluster, wait_for

CORPUS = Path(__file__).parents[2] / "data" / "compose" / "anonymous"
__all__ = ["volumes_removed"]  # a fixture this module uses


@pytest.fixture
def engine() -> Iterator[docker.DockerClient]:
    client = docker.from_env()
    yield client
    client.close()


def _anonymous_volumes(cluster: Cluster, task_id: str) -> dict[str, str]:
    """Mount point -> engine volume name of the task's container."""
    [found] = [c for c in cluster.containers() if c["Labels"]["offer.task_id"] == task_id]
    return {m["Destination"]: m["Name"] for m in found["Mounts"] if m["Type"] == "volume"}


def _gone(engine: docker.DockerClient, names: list[str]) -> bool:
    left = {v.name for v in engine.volumes.list()}
    return not left.intersection(names)


async def test_an_anonymous_volume_is_filled_from_the_image_and_goes_with_its_container(
    volumes_removed: list[str], cluster: Cluster, engine: docker.DockerClient
) -> None:
    cluster.start_secure_master(NO_GRANTS)
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    # The last container is removed by the cluster's teardown, not the
    # agent: its volumes go by their label afterwards.
    volumes_removed.append(service_framework(cluster).info.framework_id)
    done = cluster.app("deploy", str(CORPUS / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [first] = await asyncio.to_thread(until_running, cluster, 1)
    out = await asyncio.to_thread(logs_with, cluster, first["task_id"], "fresh")
    assert "from-the-image" in out and "not-fresh" not in out
    volumes = _anonymous_volumes(cluster, first["task_id"])
    assert sorted(volumes) == ["/bin", "/cache"]
    labels = engine.volumes.get(volumes["/bin"]).attrs["Labels"]
    assert labels == {"offer.framework_id": service_framework(cluster).info.framework_id}

    # Killed and replaced: the replacement's volume is a fresh copy of the
    # image's content (no marker), and the old container's volumes are gone.
    await asyncio.to_thread(kill_container, cluster, first["task_id"])
    second = await asyncio.to_thread(
        wait_for, lambda: replacement(cluster, {first["task_id"]}), 30, "a replacement"
    )
    out = await asyncio.to_thread(logs_with, cluster, second["task_id"], "fresh")
    assert "from-the-image" in out and "not-fresh" not in out
    assert not set(_anonymous_volumes(cluster, second["task_id"]).values()) & set(volumes.values())
    await asyncio.to_thread(
        wait_for,
        lambda: _gone(engine, list(volumes.values())),
        15,
        "the killed container's anonymous volumes removed",
    )
