"""Work spread over three hosts, each with its own engine, pulling the image
from the registry, reached at the hosts' addresses (issue 21)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.cluster import http_get, wait_for
from tests.support.multihost import PORTS, HostCluster

# One task of 0.1 cpu per agent: each app instance lands on a host of its own.
ONE_TASK = f"cpus:0.1;mem:256;{PORTS}"

# `$$`: the link variables are the container shell's to expand; Compose
# (and offerctl) would put offerctl's own environment in place of `$VAR`.
COMPOSE = """\
db:
  image: {image}
  command: nc -ll -p 6379 -e echo PONG
  ports:
    - "6379"
web:
  image: {image}
  command: >-
    sh -c 'while true; do
    nc -w 1 $$DB_PORT_6379_TCP_ADDR $$DB_PORT_6379_TCP_PORT </dev/null > /www/db.txt;
    sleep 0.2; done & httpd -f -p 3000 -h /www'
  ports:
    - "3000:3000"
  links:
    - db
"""


def _instances(cluster: HostCluster, app_id: str) -> list[dict[str, Any]]:
    return [t for t in cluster.app_json(app_id)["tasks"] if t["state"] == "RUNNING"]


def _address_of(cluster: HostCluster, hostname: str) -> str:
    return str(cluster.hosts.host(hostname).address)


def test_agents_advertise_their_hosts_addresses(hcluster: HostCluster) -> None:
    hcluster.start_master()
    for host in hcluster.hosts.hosts:
        hcluster.start_agent_on(host)
    agents = hcluster.offerctl_json("agents")
    assert sorted((a["hostname"], a["address"]) for a in agents) == [
        (h.name, h.address) for h in hcluster.hosts.hosts
    ]
    table = hcluster.offerctl("agents").stdout
    for host in hcluster.hosts.hosts:
        assert host.address in table, table


def test_compose_web_reaches_db_on_another_host(hcluster: HostCluster, tmp_path: Path) -> None:
    hcluster.start_master()
    for host in hcluster.hosts.hosts:
        hcluster.start_agent_on(host, ONE_TASK)
    hcluster.start_service()
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(COMPOSE.format(image=hcluster.image))
    deployed = hcluster.app("deploy", str(compose))
    assert deployed.returncode == 0, deployed.stderr

    web = wait_for(lambda: _instances(hcluster, "web"), 60, "web to run")[0]
    db = _instances(hcluster, "db")[0]
    assert web["hostname"] != db["hostname"]
    # web's link variables name db's host address and published port ...
    db_address = _address_of(hcluster, db["hostname"])
    assert db["address"] == db_address
    # ... and web, on another host, got PONG from db through them.
    url = f"http://{_address_of(hcluster, web['hostname'])}:{web['host_ports'][0]}/db.txt"
    assert wait_for(lambda: "PONG" in (http_get(url) or ""), 30, f"PONG at {url}")
    # A host other than h1 (which pushed it) pulled the image from the
    # registry at its first launch, and said so while STARTING.
    elsewhere = next(t for t in (web, db) if t["hostname"] != "h1")
    history = hcluster.offerctl_json("tasks", "show", elsewhere["task_id"])["history"]
    assert any(
        h["state"] == "STARTING" and h["message"].startswith(f"pulling image {hcluster.image}")
        for h in history
    ), history


def test_unique_hostname_with_http_checks_on_each_hosts_address(
    hcluster: HostCluster, tmp_path: Path
) -> None:
    hcluster.start_master()
    for host in hcluster.hosts.hosts:
        hcluster.start_agent_on(host)
    hcluster.start_service()
    spec = tmp_path / "web.yaml"
    spec.write_text(
        f"""\
id: web
image: {hcluster.image}
cmd: [httpd, -f, -p, "8080", -h, /www]
instances: 3
ports: [8080]
constraints: [[hostname, UNIQUE]]
health_check:
  {{protocol: http, port: 8080, path: /, interval_seconds: 0.5, grace_period_seconds: 10}}
"""
    )
    deployed = hcluster.app("deploy", str(spec))
    assert deployed.returncode == 0, deployed.stderr

    def healthy() -> list[dict[str, Any]]:
        tasks = _instances(hcluster, "web")
        return tasks if len(tasks) == 3 and all(t["health"] == "healthy" for t in tasks) else []

    tasks = wait_for(healthy, 60, "3 healthy instances")
    assert sorted(t["hostname"] for t in tasks) == ["h1", "h2", "h3"]
    for t in tasks:
        address = _address_of(hcluster, t["hostname"])
        assert t["address"] == address
        # The check dialled the host's address, where the port is published.
        assert address in t["message"] or http_get(f"http://{address}:{t['host_ports'][0]}/")
    assert hcluster.running_by_host() == {"h1": 1, "h2": 1, "h3": 1}


def test_an_image_missing_from_the_registry_fails_the_task_quickly(
    hcluster: HostCluster, tmp_path: Path
) -> None:
    hcluster.start_master()
    hcluster.start_agent_on(hcluster.hosts.host("h2"))
    hcluster.start_service()
    missing = hcluster.hosts.image("offer-test/no-such-image:1")
    spec = tmp_path / "app.yaml"
    spec.write_text(f"id: ghost\nimage: {missing}\ncmd: [sleep, '60']\n")
    assert hcluster.app("deploy", str(spec)).returncode == 0

    def failed() -> list[dict[str, Any]]:
        return [t for t in hcluster.offerctl_json("tasks") if t["state"] == "FAILED"]

    [task, *_] = wait_for(failed, 30, "the task to fail")
    assert task["reason"] == "IMAGE_UNAVAILABLE", task
    assert missing in task["message"] and "could not be pulled" in task["message"]
