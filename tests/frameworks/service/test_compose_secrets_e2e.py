"""File-based Compose secrets on a real cluster: offerctl resolves the
secret's file beside the Compose file, and the container, launched by a
real agent (on this host, so the file exists where it runs) with the
host_mounts grant, reads it at /run/secrets/NAME, read-only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.frameworks.service.test_compose_files import logs_with
from tests.frameworks.service.test_service import until_running
from tests.support.cluster import HOST_MOUNTS, Cluster

FOLDER = Path(__file__).parents[2] / "data" / "compose" / "secrets"


async def test_a_secret_file_is_read_at_run_secrets(cluster: Cluster) -> None:
    cluster.start_secure_master(HOST_MOUNTS)
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    done = cluster.app("deploy", str(FOLDER / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [task] = await asyncio.to_thread(until_running, cluster, 1, "db")
    out = await asyncio.to_thread(logs_with, cluster, task["task_id"], "password=")
    assert "password=s3cret key=s3cret" in out
    [container] = cluster.containers()
    mounts = {m["Destination"]: (m["Source"], m["RW"]) for m in container["Mounts"]}
    password = str(FOLDER / "db" / "password.txt")
    assert mounts == {
        "/run/secrets/db-password": (password, False),
        "/run/secrets/key.txt": (password, False),
        "/etc/api/key": (password, False),
    }
