"""A Compose service built by `offerctl app deploy` on one host, pushed to
the hosts' registry and pulled from it by an agent on another host, with
an engine of its own that never saw the image (issue 31). And an engine
that does not trust the plain-HTTP registry: the push fails saying what
to configure."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker

from offer.localcluster.engines import HostEngine
from offer.localcluster.hosts import HostSet
from tests.support.cluster import http_get, wait_for
from tests.support.multihost import PORTS, HostCluster

CORPUS = Path(__file__).parents[1] / "data" / "compose"
PUSHED = re.compile(r"web: pushed (\S+)")


def _running(cluster: HostCluster) -> list[dict[str, Any]]:
    return [t for t in cluster.app_json("web")["tasks"] if t["state"] == "RUNNING"]


def _remove(client: docker.DockerClient, image: str) -> None:
    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        client.images.remove(image)


def _remove_everywhere(engines: list[HostEngine], image: str) -> None:
    for engine in engines:
        if engine.answers():
            with contextlib.closing(engine.client()) as client:
                _remove(client, image)


def test_an_image_built_on_h1_is_pulled_by_an_agent_on_h2(
    hcluster: HostCluster, tmp_path: Path
) -> None:
    hosts = hcluster.hosts
    h1, h2 = hosts.hosts[0], hosts.hosts[1]
    project = tmp_path / "shop"
    shutil.copytree(CORPUS / "build-multistage", project)
    hcluster.start_master()
    hcluster.start_agent_on(h2, f"cpus:1;mem:512;{PORTS}")
    hcluster.start_service()
    # offerctl runs beside h1's engine (which trusts the registry, as a
    # cluster's engines must) and builds with it.
    hcluster.client_env = {**hcluster.client_env, "DOCKER_HOST": hosts.engine(h1).docker_host}

    compose = str(project / "compose.yaml")
    deployed = hcluster.app("deploy", compose, "--registry", hosts.registry.address)
    assert deployed.returncode == 0, deployed.stderr
    found = PUSHED.search(deployed.stderr)
    assert found, deployed.stderr
    image = found.group(1)
    try:
        assert image.startswith(f"{hosts.registry.address}/shop-web:")
        [task] = wait_for(lambda: _running(hcluster), 60, "web to run on h2")
        assert task["hostname"] == "h2" and task["address"] == h2.address
        body = http_get(f"http://{h2.address}:{task['host_ports'][0]}/")
        assert body == "built by offerctl\nhello from a built image\n"
        # h2's engine did not have it: its agent pulled it from the registry.
        history = hcluster.offerctl_json("tasks", "show", task["task_id"])["history"]
        assert any(
            h["state"] == "STARTING" and h["message"].startswith(f"pulling image {image}")
            for h in history
        ), history
    finally:
        hcluster.close()
        _remove_everywhere([hosts.engine(h1), hosts.engine(h2)], image)


def test_an_engine_that_does_not_trust_the_registry_says_how_to(
    host_set: HostSet, tmp_path: Path
) -> None:
    """This machine's engine pushes over HTTPS to anything but 127.0.0.0/8
    and its insecure-registries; the hosts' registry speaks plain HTTP."""
    project = tmp_path / "shop"
    shutil.copytree(CORPUS / "build-multistage", project)
    registry = host_set.registry.address
    argv = [
        sys.executable, "-m", "offer.ctl.cli",
        "app", "deploy", str(project / "compose.yaml"),
        "--registry", registry,
        "--service", "127.0.0.1:1",  # never called: the push fails first
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    built = PUSHED.search(done.stderr) or re.search(r"pushing (\S+)", done.stderr)
    try:
        assert done.returncode == 1, done.stderr
        assert "HTTP response to HTTPS client" in done.stderr
        assert f'add "{registry}" to "insecure-registries" in /etc/docker/daemon.json' in (
            done.stderr
        )
        assert "nothing was deployed" in done.stderr
    finally:
        if built:
            with contextlib.closing(docker.from_env()) as client:
                _remove(client, built.group(1))
