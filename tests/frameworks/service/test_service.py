"""offer-service against a real cluster: real master, agents, containers."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from offer.ctl import explain
from offer.v1 import service_pb2_grpc
from tests.support.cluster import IMAGE, Cluster, free_ports, http_get, wait_for

SLEEPER = f"""
id: web
image: {IMAGE}
cmd: sleep 300
cpus: 0.1
mem: 32
instances: {{n}}
kill_grace_seconds: 0.2
backoff_seconds: 0.2
"""


def deploy(cluster: Cluster, tmp_path: Path, text: str) -> None:
    spec = tmp_path / "app.yaml"
    spec.write_text(text)
    done = cluster.app("deploy", str(spec))
    assert done.returncode == 0, done.stderr


def service_framework(cluster: Cluster) -> Any:
    return next(f for f in cluster.list("frameworks") if f.info.name == "offer-service")


def running(cluster: Cluster, app_id: str = "web") -> list[dict]:  # type: ignore[type-arg]
    return [t for t in cluster.app_json(app_id)["tasks"] if t["state"] == "RUNNING"]


def until_running(cluster: Cluster, count: int, app_id: str = "web") -> list[dict]:  # type: ignore[type-arg]
    def settled() -> list[dict] | None:  # type: ignore[type-arg]
        status = cluster.app_json(app_id)
        live = [
            t
            for t in status["tasks"]
            if t["state"] not in ("FINISHED", "FAILED", "KILLED", "LOST", "ERROR")
        ]
        ok = [t for t in live if t["state"] == "RUNNING"]
        return ok if len(ok) == count == len(live) else None

    return wait_for(settled, 30, f"{count} running instances of {app_id}")  # type: ignore[no-any-return]


async def test_scale_up_and_down_newest_first(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=0))
    assert cluster.app_json("web")["tasks"] == []
    assert cluster.app("scale", "web", "5").returncode == 0
    five = await asyncio.to_thread(until_running, cluster, 5)
    oldest = {t["task_id"] for t in sorted(five, key=lambda t: t["started_at"])[:2]}
    assert cluster.app("scale", "web", "2").returncode == 0
    two = await asyncio.to_thread(until_running, cluster, 2)
    assert {t["task_id"] for t in two} == oldest
    assert len(cluster.containers()) == 2
    listed = cluster.app("list").stdout
    assert "web" in listed and "2" in listed


async def test_a_container_killed_by_hand_comes_back(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=1))
    [first] = await asyncio.to_thread(until_running, cluster, 1)
    [container] = cluster.containers()
    client = docker.from_env()
    client.containers.get(container["Id"]).kill()
    client.close()
    [second] = await asyncio.to_thread(
        wait_for,
        lambda: [t for t in running(cluster) if t["task_id"] != first["task_id"]] or None,
        30,
        "a replacement instance",
    )
    states = {t["task_id"]: t["state"] for t in cluster.app_json("web")["tasks"]}
    assert states[first["task_id"]] == "FAILED"
    assert second["state"] == "RUNNING"


async def test_unique_hostname_spreads_and_says_why_the_rest_waits(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    for _ in range(3):
        cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=4) + "constraints: [[hostname, UNIQUE]]\n")
    three = await asyncio.to_thread(
        wait_for, lambda: (r := running(cluster)) and len(r) == 3 and r, 30, "3 instances"
    )
    assert len({t["hostname"] for t in three}) == 3
    await asyncio.to_thread(
        wait_for,
        lambda: "UNIQUE hostname" in cluster.app_json("web")["waiting_reason"],
        15,
        "the waiting reason",
    )
    reason = cluster.app_json("web")["waiting_reason"]
    assert reason.startswith("no agent matches the constraints: UNIQUE hostname: host")
    assert "waiting: no agent matches the constraints" in cluster.app("show", "web").stdout


async def test_a_crash_looping_app_backs_off(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()
    crasher = (
        SLEEPER.format(n=1)
        .replace("sleep 300", "exit 1")
        .replace("backoff_seconds: 0.2", "backoff_seconds: 1\nbackoff_factor: 2")
    )
    deploy(cluster, tmp_path, crasher)
    status = await asyncio.to_thread(
        wait_for,
        lambda: "backing off" in (s := cluster.app_json("web"))["waiting_reason"] and s,
        30,
        "the app to back off",
    )
    assert "failures in a row" in status["waiting_reason"]
    assert status["backoff_until"] is not None
    # How long each wait is, and that offers come back when it ends:
    # tests/frameworks/service/test_scheduler.py, on a manual clock.


async def test_restart_of_offer_service_keeps_instances_without_duplicates(
    cluster: Cluster, tmp_path: Path, db_url: str
) -> None:
    """kill -9, its state on SQLite and on PostgreSQL."""
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.framework_db_urls["service"] = db_url
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=3))
    before = {t["task_id"] for t in await asyncio.to_thread(until_running, cluster, 3)}
    await asyncio.to_thread(cluster.restart_service, signal.SIGKILL)
    # Re-subscribed, and wanting no offer: it found its three instances.
    # (That a restart asks for no offer at all: test_scheduler.py.)
    await asyncio.to_thread(
        wait_for,
        lambda: (fw := service_framework(cluster)).connected and fw.suppressed,
        30,
        "offer-service to re-subscribe and want nothing",
    )
    after = {t["task_id"] for t in await asyncio.to_thread(until_running, cluster, 3)}
    assert after == before
    assert len(cluster.containers()) == 3
    assert service_framework(cluster).active_tasks == 3


def test_bad_app_specs_are_refused_naming_the_field(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()
    cases = {
        "id: web\nimage: img\ncolour: blue\n": "app 'web': colour: unknown field (known: ",
        "id: web\nimage: img\ninstances: -2\n": "app 'web': instances: must be >= 0, got -2",
        "id: web\nimage: img\nconstraints: [[hostname, SPREAD]]\n": (
            "app 'web': constraints[0]: unknown operator 'SPREAD'"
        ),
        "id: web\nimage: img\nports: [80]\n"
        "health_check: {protocol: tcp, port: 80, intervalSeconds: 5}\n": (
            "app 'web': health_check.intervalSeconds: unknown field; did you mean "
            "'interval_seconds'?"
        ),
        "services:\n  web:\n    image: img\n    deploy: {resources: {limits: {memory: lots}}}\n": (
            "services.web.deploy.resources.limits.memory: not a memory size such as '512M'"
        ),
    }
    for text, message in cases.items():
        spec = tmp_path / "bad.yaml"
        spec.write_text(text)
        done = cluster.app("deploy", str(spec))
        assert done.returncode == 1
        assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    # The schema it checks against, from its control API, explained.
    with cluster.security.channel(cluster.service_address) as channel:
        stub = service_pb2_grpc.ServiceControlStub(channel)
        assert explain.app_explain(stub, argparse.Namespace(field="health_check.port")) == 0
        assert explain.app_schema(stub, argparse.Namespace()) == 0
    printed = capsys.readouterr().out
    assert "FIELD:    health_check.port\nTYPE:     integer\nDEFAULT:  0" in printed
    assert json.loads(printed[printed.index("\n{") :])["anyOf"]
    # Larger than any agent: refused once the framework has seen an offer.
    wait_for(lambda: cluster.app("list").returncode == 0)
    big = tmp_path / "big.yaml"
    big.write_text(f"id: big\nimage: {IMAGE}\ncpus: 64\nmem: 32\n")
    done = wait_for(lambda: (d := cluster.app("deploy", str(big))).returncode == 1 and d, 15)
    assert "fields 'cpus'/'mem' (64 cpu, 32 MiB) are more than any offer seen" in done.stderr
    assert "no app" in cluster.app("show", "big").stderr


def test_offerctl_finds_offer_service_through_the_master(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:256")
    nobody = cluster.offerctl("app", "list")
    assert nobody.returncode == 1
    assert nobody.stderr.strip() == (
        f"offerctl: no offer-service is registered with the master at {cluster.address}; "
        "start offer-service, or give its address with --service or OFFER_SERVICE"
    )
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=0))
    via_master = wait_for(lambda: (d := cluster.offerctl("app", "list")).returncode == 0 and d, 15)
    assert "web" in via_master.stdout
    [fw] = [f for f in cluster.list("frameworks") if f.info.name == "offer-service"]
    assert fw.info.control_address == cluster.service_address
    listed = cluster.offerctl("app", "list", "-o", "yaml")
    assert [a["app_id"] for a in yaml.safe_load(listed.stdout)] == ["web"]
    shown = cluster.offerctl("app", "show", "web", "-o", "yaml")
    assert yaml.safe_load(shown.stdout)["app_id"] == "web"
    control = cluster.offerctl("frameworks", "show", "offer-service", "-o", "json")
    assert json.loads(control.stdout)["control_address"] == cluster.service_address


WEB = f"""
id: web
image: {IMAGE}
cmd: httpd -f -p 8080 -h /www
cpus: 0.1
mem: 32
instances: 2
ports: [8080]
env:
  VERSION: "{{v}}"
kill_grace_seconds: 0.2
minimum_health_capacity: 1.0
maximum_over_capacity: 0.5
health_check:
  protocol: http
  port: 8080
  path: /
  interval_seconds: 0.3
  max_consecutive_failures: 2
"""


async def test_rolling_update_under_health_checks_keeps_minimum_capacity(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(6)}")
    cluster.start_service()
    deploy(cluster, tmp_path, WEB.format(v=1))

    def healthy(status: dict) -> list[dict]:  # type: ignore[type-arg]
        return [t for t in status["tasks"] if t["state"] == "RUNNING" and t["health"] == "healthy"]

    first = await asyncio.to_thread(
        wait_for, lambda: len(h := healthy(cluster.app_json("web"))) == 2 and h, 30, "v1"
    )
    old = {t["task_id"] for t in first}
    deploy(cluster, tmp_path, WEB.format(v=2))

    def rolled() -> bool:
        status = cluster.app_json("web")
        ready = healthy(status)
        lowest.append(len(ready))
        live = [t for t in status["tasks"] if t["state"] in ("STAGING", "STARTING", "RUNNING")]
        return len(ready) == 2 and not ({t["task_id"] for t in live} & old)

    lowest: list[int] = []
    await asyncio.to_thread(wait_for, rolled, 60, "the rolling update")
    assert min(lowest) >= 2  # never below minimum_health_capacity 1.0 of 2
    tasks = {t["task_id"]: t["state"] for t in cluster.app_json("web")["tasks"]}
    assert all(tasks[t] == "KILLED" for t in old)


COMPOSE = f"""
db:
  image: {IMAGE}
  command: httpd -f -p 6379 -h /www
  ports:
    - "6379"
web:
  image: {IMAGE}
  command: sh -c 'env | grep ^DB_ | sort; sleep 300'
  ports:
    - "3000:3000"
  links:
    - db
"""


async def test_the_compose_example_runs_with_its_link_variables(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent(f"cpus:2;mem:1024;{free_ports(4)}")
    cluster.start_service()
    deploy(cluster, tmp_path, COMPOSE)
    [db] = await asyncio.to_thread(until_running, cluster, 1, "db")
    [web] = await asyncio.to_thread(until_running, cluster, 1, "web")
    assert web["started_at"] > db["started_at"]  # it waited for its dependency
    db_port = db["host_ports"][0]
    logs = await asyncio.to_thread(
        wait_for,
        lambda: (
            "DB_PORT_6379_TCP_PORT" in (out := cluster.offerctl("logs", web["task_id"]).stdout)
            and out
        ),
        15,
        "web's output",
    )
    env = dict(line.split("=", 1) for line in logs.split())
    # The agent's address (its default on one host: 127.0.0.1), not its hostname.
    assert db["address"] == "127.0.0.1" and db["hostname"] == "host0"
    assert env["DB_PORT_6379_TCP_ADDR"] == db["address"]
    assert env["DB_PORT_6379_TCP_PORT"] == str(db_port)
    assert env["DB_PORT"] == f"tcp://{db['address']}:{db_port}"
    # The link points at a real server: db answers on its published port.
    body = await asyncio.to_thread(
        wait_for, lambda: http_get(f"http://127.0.0.1:{db_port}/"), 10, "db to answer"
    )
    assert body.strip() == "ok"


def test_a_cyclic_compose_file_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:1;mem:256")
    cluster.start_service()
    spec = tmp_path / "cycle.yaml"
    spec.write_text(f"a: {{image: {IMAGE}, depends_on: [b]}}\nb: {{image: {IMAGE}, links: [a]}}\n")
    done = cluster.app("deploy", str(spec))
    assert done.returncode == 1
    assert "field 'depends_on'/'links' is circular: a -> b -> a" in done.stderr
    assert cluster.app("list").stdout.strip() == "No apps."


async def test_restart_replaces_every_instance_and_remove_forgets_the_app(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=2))
    before = {t["task_id"] for t in await asyncio.to_thread(until_running, cluster, 2)}
    restarted = cluster.app("restart", "web")
    assert restarted.returncode == 0
    assert restarted.stdout.strip() == "app web: every instance is being replaced"
    after = await asyncio.to_thread(
        wait_for,
        lambda: (
            (r := running(cluster))
            and len(r) == 2
            and not ({t["task_id"] for t in r} & before)
            and r
        ),
        30,
        "new instances",
    )
    assert len(after) == 2
    removed = cluster.app("remove", "web")
    assert removed.returncode == 0
    await asyncio.to_thread(wait_for, lambda: cluster.containers() == [], 20, "containers to go")
    assert cluster.app("list").stdout.strip() == "No apps."
    missing = cluster.app("show", "web")
    assert missing.returncode == 1
    assert "no app 'web'" in missing.stderr


async def test_offer_service_suppresses_when_satisfied_and_revives_for_new_work(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()

    def suppressed() -> bool:
        [fw] = [f for f in cluster.offerctl_json("frameworks") if f["name"] == "offer-service"]
        return bool(fw["suppressed"])

    deploy(cluster, tmp_path, SLEEPER.format(n=1))
    await asyncio.to_thread(until_running, cluster, 1)
    await asyncio.to_thread(wait_for, suppressed, 15, "offer-service to suppress offers")
    assert "suppressed" in cluster.offerctl("frameworks").stdout
    assert cluster.app("scale", "web", "3").returncode == 0
    await asyncio.to_thread(until_running, cluster, 3)  # it revived, got offers, launched
    await asyncio.to_thread(wait_for, suppressed, 15, "suppressed again once satisfied")


async def test_an_app_that_fails_at_launch_time_waits_and_the_other_deploys(
    cluster: Cluster, tmp_path: Path
) -> None:
    """`env: {X: "\\ud800"}` passes the schema (a string) but is no UTF-8: it
    is found only when the task is sent. That app says why it waits; the app
    deployed with it runs, and so does one deployed after it."""
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()
    deploy(
        cluster,
        tmp_path,
        f'apps:\n- {{id: bad, image: {IMAGE}, cmd: sleep 300, mem: 32, env: {{X: "\\ud800"}}}}\n'
        + "- "
        + SLEEPER.format(n=2).strip().replace("\n", "\n  "),
    )
    await asyncio.to_thread(until_running, cluster, 2)

    def told() -> str:
        return str(cluster.app_json("bad")["waiting_reason"])

    reason = wait_for(lambda: told().startswith("cannot launch") and told(), 30, "bad's reason")
    assert "task cannot be sent to the master" in reason
    assert cluster.app_json("bad")["tasks"] == []
    deploy(cluster, tmp_path, SLEEPER.replace("id: web", "id: later").format(n=1))
    await asyncio.to_thread(until_running, cluster, 1, "later")
    assert "app bad cannot be launched (deploy it again once fixed): task cannot" in (
        cluster.service.log()
    )


def test_an_app_needing_host_ports_says_the_agents_offer_none(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    cluster.start_service()
    deploy(cluster, tmp_path, SLEEPER.format(n=1) + "ports: [8080]\n")
    expected = (
        "needs 1 host port; 1 agent offered none: give agents ports with "
        "--resources 'ports:[31000-32000]'"
    )
    wait_for(lambda: cluster.app_json("web")["waiting_reason"] == expected, 30, expected)
    assert expected in cluster.app("show", "web").stdout.replace("\n", " ")
