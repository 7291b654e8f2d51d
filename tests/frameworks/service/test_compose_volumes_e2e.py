"""Compose volumes on a real cluster: real master, agents, offer-service,
offerctl and Docker engine. A named volume's data outlives its instance,
which stays on its agent (and waits for it, across a restart of
offer-service); a bind mount needs the
host_mounts grant; what is not honoured is refused by name."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.frameworks.service.test_compose_files import logs_with
from tests.frameworks.service.test_service import service_framework, until_running
from tests.support.cluster import HOST_MOUNTS, Cluster, wait_for

CORPUS = Path(__file__).parents[2] / "data" / "compose" / "volumes"
NO_GRANTS = """
register_frameworks: [{principals: "*", roles: "*"}]
register_agents: [{principals: "*"}]
operator: [{principals: "*", actions: "*"}]
"""


@pytest.fixture
def volumes_removed() -> Iterator[list[str]]:
    """Framework ids whose engine volumes go at the end. Asked for before
    `cluster`, it ends after it: once the cluster's containers are gone."""
    framework_ids: list[str] = []
    yield framework_ids
    client = docker.from_env()
    try:
        for framework_id in framework_ids:
            for volume in client.volumes.list(
                filters={"label": f"offer.framework_id={framework_id}"}
            ):
                volume.remove(force=True)
    finally:
        client.close()


def kill_container(cluster: Cluster, task_id: str) -> None:
    [found] = [c for c in cluster.containers() if c["Labels"]["offer.task_id"] == task_id]
    client = docker.from_env()
    try:
        client.api.kill(found["Id"], signal="SIGKILL")
    finally:
        client.close()


def replacement(cluster: Cluster, gone: set[str]) -> dict | None:  # type: ignore[type-arg]
    fresh = [t for t in cluster.app_json("web")["tasks"] if t["task_id"] not in gone]
    return next((t for t in fresh if t["state"] == "RUNNING"), None)


async def test_a_named_volume_outlives_its_instance_which_stays_on_its_agent(
    volumes_removed: list[str], cluster: Cluster
) -> None:
    cluster.start_master("--agent-timeout", "3")
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    volumes_removed.append(service_framework(cluster).info.framework_id)
    done = cluster.app("deploy", str(CORPUS / "compose.yaml"))
    assert done.returncode == 0, done.stderr
    [first] = await asyncio.to_thread(until_running, cluster, 1)
    await asyncio.to_thread(logs_with, cluster, first["task_id"], "runs=1")
    # Whichever agent took it holds its volumes from now on.
    holder = next(a for a in cluster.agents if a.name == f"agent{first['hostname'][-1]}")

    # Killed: the replacement comes back to the same agent and finds the data.
    await asyncio.to_thread(kill_container, cluster, first["task_id"])
    second = await asyncio.to_thread(
        wait_for, lambda: replacement(cluster, {first["task_id"]}), 30, "a replacement"
    )
    assert second["hostname"] == first["hostname"]
    await asyncio.to_thread(logs_with, cluster, second["task_id"], "runs=2")

    # offer-service restarted keeps the pin (its own database), and with its
    # agent gone the instance waits for it, though the other agent has room.
    await asyncio.to_thread(cluster.restart_service)
    holder.stop(signal.SIGKILL)
    await asyncio.to_thread(kill_container, cluster, second["task_id"])
    waiting = await asyncio.to_thread(
        wait_for,
        lambda: (
            (r := cluster.app_json("web")["waiting_reason"]).startswith("waiting for the") and r
        ),
        30,
        "offer-service to wait for the agent",
    )
    assert waiting == (
        f"waiting for the agent that holds its volumes: instance 0 for agent "
        f"{first['hostname']} ({holder.agent_id}) (an instance with named volumes is launched "
        "only where they are)"
    )
    shown = cluster.app("show", "web")
    assert f"waiting: {waiting}" in shown.stdout
    assert replacement(cluster, {first["task_id"], second["task_id"]}) is None

    # Back: launched there again, with its data.
    await asyncio.to_thread(cluster.restart_agent, holder)
    third = await asyncio.to_thread(
        wait_for,
        lambda: replacement(cluster, {first["task_id"], second["task_id"]}),
        30,
        "a replacement on the agent back",
    )
    assert third["hostname"] == first["hostname"]
    await asyncio.to_thread(logs_with, cluster, third["task_id"], "runs=3")


async def test_a_bind_mount_is_refused_without_the_grant_naming_it(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.start_secure_master(NO_GRANTS)
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    monkeypatch.setenv("MARK_FILE", "absent")
    done = cluster.app("deploy", str(CORPUS / "bind.yaml"))
    assert done.returncode == 0, done.stderr
    waiting = await asyncio.to_thread(
        wait_for,
        lambda: (
            (r := cluster.app_json("bound")["waiting_reason"]).startswith("cannot launch") and r
        ),
        20,
        "the launch to be refused",
    )
    assert "container.volumes (host mounts) is not allowed for role '*'" in waiting
    assert "an ACL 'containers' entry must grant 'host_mounts' to the role" in waiting
    assert cluster.app_json("bound")["tasks"] == []


async def test_a_bind_mount_reaches_the_host_folder_with_the_grant(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.start_secure_master(HOST_MOUNTS)
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    mark = Path("/tmp") / f"offer-bind-{uuid.uuid4().hex}"
    mark.write_text(f"from the host {mark.name}\n")
    try:
        monkeypatch.setenv("MARK_FILE", mark.name)
        done = cluster.app("deploy", str(CORPUS / "bind.yaml"))
        assert done.returncode == 0, done.stderr
        [task] = await asyncio.to_thread(until_running, cluster, 1, "bound")
        out = await asyncio.to_thread(logs_with, cluster, task["task_id"], "read-only")
        # Read through both mounts of the one folder; not written through the :ro one.
        assert out.count(f"from the host {mark.name}") == 2
    finally:
        mark.unlink()


def test_each_refused_volume_form_is_refused_by_offerctl_naming_it(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_service()
    refused = sorted((CORPUS / "refused").glob("*.yaml"))
    assert len(refused) >= 5
    for path in refused:
        expected = path.read_text().splitlines()[0].removeprefix("# refused: ")
        done = cluster.app("deploy", str(path))
        assert done.returncode == 1, path.name
        assert expected in done.stderr, (path.name, done.stderr)
    assert cluster.app("list").stdout.strip() == "No apps."
