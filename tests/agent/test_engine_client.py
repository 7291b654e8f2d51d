"""The agent's Docker client against the real engine: calls on different
containers' URLs share one connection."""

from __future__ import annotations

import contextlib

import docker.errors
import psutil

from agent.containerizer.engine_client import engine_client
from tests.support.cluster import IMAGE


def _unix_sockets() -> int:
    return len(psutil.Process().net_connections(kind="unix"))


def test_calls_on_many_containers_reuse_one_connection() -> None:
    before = _unix_sockets()
    client = engine_client(4)
    api = client.api
    created: list[str] = []
    try:
        for _ in range(3):
            created.append(api.create_container(IMAGE, ["true"])["Id"])
            api.start(created[-1])
            api.wait(created[-1], timeout=30)
            api.remove_container(created[-1])
        # Twelve calls one after another, most on a container's own URL: one
        # connection served them all (docker-py's own client keeps one per
        # URL, eleven here). At most: a socket of an earlier test's client
        # may be collected meanwhile.
        assert _unix_sockets() - before <= 1
    finally:
        for container_id in created:
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_container(container_id, force=True)
        client.close()
