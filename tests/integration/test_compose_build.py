"""`offerctl app deploy` of a Compose file whose service has `build:`: built
with the real engine from a local context and a multi-stage Dockerfile,
pushed to a real registry (Debian's docker-registry on 127.0.0.1, which
engines push to over plain HTTP), deployed by name, and pulled from that
registry by the agent; a failing build deploys nothing (issue 31)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from offer.localcluster.registry import Registry
from tests.support.cluster import Cluster, free_port, free_ports, http_get, wait_for

CORPUS = Path(__file__).parents[1] / "data" / "compose"
PUSHED = re.compile(r"web: pushed (\S+)")


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry of this test's own on 127.0.0.1, on a free port."""
    if shutil.which("docker-registry") is None:
        pytest.skip("needs Debian's docker-registry (make engine installs it)")
    found = Registry("127.0.0.1", tmp_path / "registry")
    found.address = f"127.0.0.1:{free_port()}"
    found.start()
    try:
        yield found
    finally:
        found.stop()


def _tags(registry: Registry, repository: str) -> list[str]:
    url = f"http://{registry.address}/v2/{repository}/tags/list"
    with urllib.request.urlopen(url, timeout=5) as response:
        return list(json.load(response)["tags"])


def _running(cluster: Cluster) -> list[dict[str, Any]]:
    return [t for t in cluster.app_json("web")["tasks"] if t["state"] == "RUNNING"]


def _remove_image(name: str) -> None:
    client = docker.from_env()
    try:
        with contextlib.suppress(docker.errors.NotFound):
            client.images.remove(name)
    finally:
        client.close()


def test_a_built_image_is_pushed_deployed_and_pulled_by_the_agent(
    cluster: Cluster, registry: Registry, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    shutil.copytree(CORPUS / "build-multistage", project)
    compose = project / "compose.yaml"
    # No instance at first: the agent must not start one from the image the
    # build left in this (shared) engine.
    compose.write_text(compose.read_text().replace("replicas: 1", "replicas: 0"))
    cluster.start_master()
    cluster.start_agent(f"cpus:1;mem:512;{free_ports(2)}")
    cluster.start_service()

    deployed = cluster.app("deploy", str(compose), "--registry", registry.address)
    assert deployed.returncode == 0, deployed.stderr
    assert "app web deployed" in deployed.stdout
    # Progress: each step of both stages, then the push.
    assert "web | Step 6/6 : COPY --from=build /out/index.html /www/index.html" in deployed.stderr
    found = PUSHED.search(deployed.stderr)
    assert found, deployed.stderr
    image = found.group(1)
    repository, _, tag = image.rpartition(":")
    assert repository == f"{registry.address}/shop-web" and re.fullmatch(r"[0-9a-f]{64}", tag)
    assert tag in _tags(registry, "shop-web")
    revision = cluster.app_json("web")["deployment"]["revision"]

    try:
        # Unchanged: every step cached, the same image id, so the same name,
        # and offer-service sees nothing new to roll out.
        again = cluster.app("deploy", str(compose), "--registry", registry.address)
        assert again.returncode == 0, again.stderr
        assert f"web: pushed {image}" in again.stderr
        assert cluster.app_json("web")["deployment"]["revision"] == revision

        # Gone from this engine: the agent's only way to it is the registry.
        _remove_image(image)
        scaled = cluster.app("scale", "web", "1")
        assert scaled.returncode == 0, scaled.stderr
        [task] = wait_for(lambda: _running(cluster), 60, "web to run from the pushed image")
        body = http_get(f"http://127.0.0.1:{task['host_ports'][0]}/")
        # The page made in the first stage, with the build arg from the file.
        assert body == "built by offerctl\nhello from a built image\n"
        history = cluster.offerctl_json("tasks", "show", task["task_id"])["history"]
        assert any(
            h["state"] == "STARTING" and h["message"].startswith(f"pulling image {image}")
            for h in history
        ), history
        [container] = cluster.containers()
        assert container["Image"] == image
    finally:
        cluster.close()
        _remove_image(image)


def test_a_failing_build_stops_the_deploy_with_the_builders_error(
    cluster: Cluster, registry: Registry, tmp_path: Path
) -> None:
    project = tmp_path / "broken"
    shutil.copytree(CORPUS / "build-failing", project)
    cluster.start_master()
    cluster.start_service()

    done = cluster.app("deploy", str(project / "compose.yaml"), "--registry", registry.address)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    # The failing step's own output, then the builder's error, in one line.
    assert "  checking the config" in lines and "  config.ini: no such file" in lines
    assert lines[-1].startswith("offerctl: ") and "service broken: the build failed: " in lines[-1]
    assert "returned a non-zero code: 3" in lines[-1] and "nothing was deployed" in lines[-1]
    listed = cluster.app("list", "-o", "json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stdout


def test_image_and_build_tag_as_image_here_and_push_by_content(
    cluster: Cluster, registry: Registry, tmp_path: Path
) -> None:
    """Compose's rule: the build is tagged as `image` (here, in the engine
    that built it); the registry gets image's path tagged by content, and
    not the moving tag `dev`."""
    project = tmp_path / "team"
    shutil.copytree(CORPUS / "build-multistage", project)
    compose = project / "compose.yaml"
    text = compose.read_text().replace("    build:", "    image: team/web:dev\n    build:")
    compose.write_text(text.replace("replicas: 1", "replicas: 0"))
    cluster.start_master()
    cluster.start_service()

    done = cluster.app("deploy", str(compose), "--registry", registry.address)
    assert done.returncode == 0, done.stderr
    found = PUSHED.search(done.stderr)
    assert found, done.stderr
    image = found.group(1)
    tag = image.rpartition(":")[2]
    try:
        assert image == f"{registry.address}/team/web:{tag}"
        assert _tags(registry, "team/web") == [tag]
        client = docker.from_env()
        try:
            assert client.images.get("team/web:dev").id == f"sha256:{tag}"
        finally:
            client.close()
    finally:
        _remove_image("team/web:dev")
        _remove_image(image)
