"""A relative bind mount on a real cluster: offerctl resolves `./site`
against the Compose file's folder, and the container, launched by a real
agent with the host_mounts grant, reads the file there (the agent runs on
this host, so the folder exists where it runs)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.frameworks.service.test_compose_files import logs_with
from tests.frameworks.service.test_service import until_running
from tests.support.cluster import HOST_MOUNTS, Cluster

FOLDER = Path(__file__).parents[2] / "data" / "compose" / "relative-bind"


async def test_a_relative_bind_mount_reads_the_folder_beside_the_compose_file(
    cluster: Cluster,
) -> None:
    cluster.start_secure_master(HOST_MOUNTS)
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    done = cluster.app("deploy", str(FOLDER / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [task] = await asyncio.to_thread(until_running, cluster, 1, "site")
    out = await asyncio.to_thread(logs_with, cluster, task["task_id"], "read-only")
    assert "hello from beside the compose file" in out
    # The engine was given the folder beside the file, read-only.
    [container] = cluster.containers()
    [mount] = container["Mounts"]
    assert (mount["Source"], mount["Destination"], mount["RW"]) == (
        str(FOLDER / "site"),
        "/www",
        False,
    )
