"""stdin_open and tty on a real cluster (master, agent, offer-service,
offerctl, Docker engine): `sh` with an open stdin and a terminal waits for
input instead of exiting, so the instance stays RUNNING; its output,
stderr merged into stdout by the terminal, still reaches `offerctl logs`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import docker
import pytest
import requests

from tests.frameworks.service.test_compose_files import logs_with
from tests.frameworks.service.test_service import until_running
from tests.support.cluster import Cluster

CORPUS = Path(__file__).parents[2] / "data" / "compose" / "tty"


async def test_a_shell_with_stdin_open_and_a_tty_stays_running(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    done = cluster.app("deploy", str(CORPUS / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [task] = await asyncio.to_thread(until_running, cluster, 1, "shell")
    out = await asyncio.to_thread(logs_with, cluster, task["task_id"], "to-stderr")
    assert "stdin-is-a-tty" in out
    [container] = cluster.containers()
    client = docker.from_env()
    try:
        config = client.api.inspect_container(container["Id"])["Config"]
        assert (config["OpenStdin"], config["Tty"]) == (True, True)
        # With stdin closed, sh would have read its end and exited at once:
        # it is still waiting on it after the "exec sh" above.
        # The engine's wait ending in the client's read timeout: no exit in 1 s.
        with pytest.raises(requests.exceptions.ConnectionError, match=r"(?i)timed out"):
            client.api.wait(container["Id"], timeout=1)
    finally:
        client.close()
    [still] = [t for t in cluster.app_json("shell")["tasks"] if t["state"] == "RUNNING"]
    assert still["task_id"] == task["task_id"]
