"""An agent driving the engine of another host over TCP with TLS, configured
as the docker CLI is (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH):
containers, exits, logs, usage and health checks all work (issue 21)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

from tests.support.cluster import http_get, wait_for
from tests.support.multihost import HostCluster
from tests.support.tls import make_pki

ENGINE_PORT = 2376


def _running(cluster: HostCluster) -> list[dict[str, Any]]:
    return [t for t in cluster.app_json("web")["tasks"] if t["state"] == "RUNNING"]


def test_agent_drives_an_engine_on_another_host_over_tls(
    hcluster: HostCluster, tmp_path: Path
) -> None:
    h1, _, h3 = hcluster.hosts.hosts
    engine = hcluster.hosts.engine(h3)
    (tmp_path / "engine-pki").mkdir()
    pki = make_pki(tmp_path / "engine-pki", [h3.address])
    # The docker CLI's layout: ca.pem, cert.pem and key.pem in one folder.
    certs = tmp_path / "docker-certs"
    certs.mkdir()
    shutil.copy(pki.ca, certs / "ca.pem")
    shutil.copy(pki.client_cert, certs / "cert.pem")
    shutil.copy(pki.client_key, certs / "key.pem")
    engine.stop()
    tls = ["--tlsverify", "--tlscacert", str(pki.ca)]
    tls += ["--tlscert", str(pki.server_cert), "--tlskey", str(pki.server_key)]
    engine.start(["--host", f"tcp://{h3.address}:{ENGINE_PORT}", *tls])
    try:
        _drive(hcluster, tmp_path, h1, h3, certs)
    finally:
        hcluster.close()  # its containers, while the engine still listens on TCP
        engine.stop()
        engine.start()


def _drive(cluster: HostCluster, tmp_path: Path, h1: Any, h3: Any, certs: Path) -> None:
    cluster.start_master()
    remote = {
        "DOCKER_HOST": f"tcp://{h3.address}:{ENGINE_PORT}",
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": str(certs),
    }
    # The agent runs on h1; its engine, and so its containers, are on h3.
    agent = cluster.start_agent_on(h1, extra_env=remote)
    cluster.start_service()
    agents = cluster.offerctl_json("agents")
    assert [(a["hostname"], a["address"]) for a in agents] == [("h1", h3.address)]

    spec = tmp_path / "web.yaml"
    spec.write_text(
        f"""\
id: web
image: {cluster.image}
cmd: [sh, -c, "echo serving; exec httpd -f -p 8080 -h /www"]
instances: 1
ports: [8080]
backoff_seconds: 0
health_check: {{protocol: http, port: 8080, interval_seconds: 0.5}}
"""
    )
    assert cluster.app("deploy", str(spec)).returncode == 0

    def healthy() -> dict[str, Any] | None:
        tasks = _running(cluster)
        return tasks[0] if tasks and tasks[0]["health"] == "healthy" else None

    task = wait_for(healthy, 60, "a healthy instance")
    # Its container is on h3's engine, published on h3's address.
    with contextlib.closing(cluster.hosts.engine(h3).client()) as client:
        [container] = client.containers.list(filters={"label": f"offer.task_id={task['task_id']}"})
    assert http_get(f"http://{h3.address}:{task['host_ports'][0]}/") == "ok\n"
    # Logs come through the remote engine.
    logs = cluster.offerctl("logs", task["task_id"])
    assert logs.returncode == 0 and "serving" in logs.stdout, logs.stderr
    # Usage, from the engine's stats (the cgroups are the other host's).

    def usage() -> Any:
        [row] = [t for t in cluster.offerctl_json("tasks") if t["task_id"] == task["task_id"]]
        return row["usage"]

    assert wait_for(usage, 30, "the task's usage")["mem_used"] > 0
    # An exit on the remote engine is seen, and the instance replaced.
    container.kill()
    replaced = wait_for(
        lambda: [t for t in _running(cluster) if t["task_id"] != task["task_id"]], 60, "a new one"
    )
    assert replaced
    assert "from the engine's stats" in agent.log()
