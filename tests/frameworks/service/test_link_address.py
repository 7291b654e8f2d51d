"""Links between apps carry the target's agent's advertised address.

127.0.0.2 is this host's (all of 127.0.0.0/8 is on Linux) but, inside a
container on Docker's bridge, loopback is the container's own, and the
bridge's addresses are out of bounds for tests here. So the address a link
hands out is checked on 127.0.0.2 from the host; a container reaching its
linked target on another host is tests/multihost/test_across_hosts.py's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.support.cluster import IMAGE, Cluster, free_ports, http_get, wait_for

SECOND = "127.0.0.2"

APPS = f"""
db:
  image: {IMAGE}
  command: httpd -f -p 6379 -h /www
  ports:
    - "6379"
web:
  image: {IMAGE}
  command: >-
    sh -c 'env | grep ^DB_PORT | sort;
    for i in 1 2 3 4 5 6 7 8 9 10; do
    r=$(printf "GET /index.html HTTP/1.0\\r\\n\\r\\n" |
    nc -w 3 $DB_PORT_6379_TCP_ADDR $DB_PORT_6379_TCP_PORT | tail -n 1);
    [ -n "$r" ] && break; sleep 0.5; done;
    echo "GOT $r"; sleep 300'
  links:
    - db
"""


def _deploy(cluster: Cluster, tmp_path: Path) -> None:
    spec = tmp_path / "apps.yaml"
    spec.write_text(APPS)
    done = cluster.app("deploy", str(spec))
    assert done.returncode == 0, done.stderr


def _running(cluster: Cluster, app_id: str) -> dict[str, Any]:
    def one() -> dict[str, Any] | None:
        tasks = [t for t in cluster.app_json(app_id)["tasks"] if t["state"] == "RUNNING"]
        return tasks[0] if tasks else None

    return wait_for(one, 30, f"{app_id} to run")  # type: ignore[no-any-return]


def _output(cluster: Cluster, task_id: str, marker: str) -> dict[str, str]:
    """The linking task's printed lines as NAME=VALUE (and GOT=the reply)."""

    def printed() -> str | None:
        out = cluster.offerctl("logs", task_id).stdout
        return out if marker in out else None

    out = wait_for(printed, 20, f"{task_id}'s output")
    lines = [line.replace("GOT ", "GOT=", 1) for line in out.splitlines()]
    return dict(line.split("=", 1) for line in lines if "=" in line)


async def test_link_variables_carry_the_targets_advertised_address(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(4)}", "--advertise-address", SECOND)
    cluster.start_service()
    _deploy(cluster, tmp_path)
    db = await asyncio.to_thread(_running, cluster, "db")
    web = await asyncio.to_thread(_running, cluster, "web")
    [port] = db["host_ports"]
    env = await asyncio.to_thread(_output, cluster, web["task_id"], "DB_PORT_6379_TCP_PROTO")
    assert env["DB_PORT"] == env["DB_PORT_6379_TCP"] == f"tcp://{SECOND}:{port}"
    assert (env["DB_PORT_6379_TCP_ADDR"], env["DB_PORT_6379_TCP_PORT"]) == (SECOND, str(port))
    # That is where db is, and only there.
    assert (http_get(f"http://{SECOND}:{port}/index.html") or "").strip() == "ok"
    assert http_get(f"http://127.0.0.1:{port}/index.html", timeout=1) is None
    # offer-service remembers each instance's address and offerctl shows it.
    assert (db["hostname"], db["address"]) == ("host0", SECOND)
    shown = cluster.app("show", "db").stdout.splitlines()
    header = next(line.split() for line in shown if line.startswith("TASK"))
    row = next(line.split() for line in shown if line.startswith(db["task_id"]))
    assert header[:5] == ["TASK", "AGENT", "HOST", "ADDRESS", "STATE"]
    assert row[2:4] == ["host0", SECOND]
