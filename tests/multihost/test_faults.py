"""Losing a host: its link cut and back, its power gone, the master out of
reach of one agent only (issue 21). Instance counts are checked before,
during and after, from offer-service and from the hosts' engines."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from offer.localcluster.hosts import Host
from tests.support.cluster import wait_for
from tests.support.multihost import PORTS, HostCluster

# Agent declared lost this long after its stream broke; a cut link is
# noticed by gRPC keepalive (offer/grpc_options.py) within about 15 s.
AGENT_TIMEOUT = "3"
# Two 0.1-cpu tasks per host: room on the others for what one host ran.
TWO_TASKS = f"cpus:0.2;mem:512;{PORTS}"


def _deploy(cluster: HostCluster, tmp_path: Path, instances: int) -> None:
    spec = tmp_path / "app.yaml"
    spec.write_text(
        f"id: web\nimage: {cluster.image}\ncmd: [sleep, '3600']\ninstances: {instances}\n"
        "backoff_seconds: 0\nkill_grace_seconds: 0.2\n"
    )
    deployed = cluster.app("deploy", str(spec))
    assert deployed.returncode == 0, deployed.stderr


def _running(cluster: HostCluster) -> list[dict[str, Any]]:
    return [t for t in cluster.app_json("web")["tasks"] if t["state"] == "RUNNING"]


def _until_running(cluster: HostCluster, count: int, what: str) -> list[dict[str, Any]]:
    return wait_for(  # type: ignore[no-any-return]
        lambda: tasks if len(tasks := _running(cluster)) == count else None, 90, what
    )


def _busiest(cluster: HostCluster, tasks: list[dict[str, Any]]) -> Host:
    hostnames = [t["hostname"] for t in tasks]
    return cluster.hosts.host(max(set(hostnames), key=hostnames.count))


def _agent_status(cluster: HostCluster, host: Host) -> str:
    statuses = {a["hostname"]: a["status"] for a in cluster.offerctl_json("agents")}
    return str(statuses.get(host.name, ""))


def _start(cluster: HostCluster) -> None:
    cluster.start_master("--agent-timeout", AGENT_TIMEOUT)
    for host in cluster.hosts.hosts:
        cluster.start_agent_on(host, TWO_TASKS)
    cluster.start_service()


def test_partitioned_host_is_replaced_then_fenced_when_it_returns(
    hcluster: HostCluster, tmp_path: Path
) -> None:
    _start(hcluster)
    _deploy(hcluster, tmp_path, 3)
    before = _until_running(hcluster, 3, "3 instances")
    cut = _busiest(hcluster, before)
    on_cut = {t["task_id"] for t in before if t["hostname"] == cut.name}

    hcluster.hosts.network.partition(cut)
    wait_for(lambda: _agent_status(hcluster, cut) == "lost", 60, f"{cut.name} to be lost")
    during = _until_running(hcluster, 3, "3 instances without the cut host")
    assert all(t["hostname"] != cut.name for t in during)
    lost = {
        t["task_id"]: t["state"] for t in hcluster.offerctl_json("tasks") if t["task_id"] in on_cut
    }
    assert set(lost.values()) == {"LOST"}, lost
    # Cut off, the host still runs what it ran: the duplicates the bound
    # below is about.
    assert hcluster.running_by_host()[cut.name] == len(on_cut)

    healed_at = time.monotonic()
    hcluster.hosts.network.heal(cut)
    wait_for(lambda: _agent_status(hcluster, cut) == "active", 60, f"{cut.name} back")
    # The master kills what it had marked lost as soon as the agent is back.
    wait_for(lambda: hcluster.running_by_host()[cut.name] == 0, 30, "the lost tasks killed")
    fenced_after = time.monotonic() - healed_at
    after = _running(hcluster)
    assert len(after) == 3 and sum(hcluster.running_by_host().values()) == 3
    assert {t["task_id"] for t in after} == {t["task_id"] for t in during}
    print(f"duplicates gone {fenced_after:.1f}s after the link returned")


def test_powered_off_host_is_replaced_and_its_batch_task_retried(
    hcluster: HostCluster, tmp_path: Path
) -> None:
    _start(hcluster)
    hcluster.start_batch()
    _deploy(hcluster, tmp_path, 3)
    _until_running(hcluster, 3, "3 instances")
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(
        f"name: long\nimage: {hcluster.image}\ncmd: sleep 5; echo done\nretries: 2\n"
        "backoff_seconds: 0\n"
    )
    assert hcluster.job("submit", str(jobs)).returncode == 0
    run_id = hcluster.job("run", "long").stdout.split()[1]

    def task_host() -> str:
        tasks = hcluster.job_json("run-show", run_id)["tasks"]
        running = [t for t in tasks if t["state"] == "RUNNING"]
        return str(running[0]["hostname"]) if running else ""

    victim = hcluster.hosts.host(wait_for(task_host, 60, "the job's task to run"))
    app_on_victim = sum(1 for t in _running(hcluster) if t["hostname"] == victim.name)

    hcluster.hosts.power_off(victim)
    wait_for(lambda: _agent_status(hcluster, victim) == "lost", 60, f"{victim.name} lost")
    after = _until_running(hcluster, 3, "3 instances on the hosts left")
    assert all(t["hostname"] != victim.name for t in after)
    assert app_on_victim <= 2

    def ended() -> dict[str, Any] | None:
        run: dict[str, Any] = hcluster.job_json("run-show", run_id)
        return run if run["state"] in ("SUCCEEDED", "FAILED") else None

    run = wait_for(ended, 60, "the job's run to end")
    assert run["state"] == "SUCCEEDED", json.dumps(run, indent=1)
    first, *retries = run["tasks"]
    assert first["hostname"] == victim.name and first["state"] == "LOST"
    assert retries and retries[-1]["hostname"] != victim.name


def test_master_unreachable_from_one_agent_loses_nothing(
    hcluster: HostCluster, tmp_path: Path
) -> None:
    hcluster.start_master()  # agents lost only after 60 s
    for host in hcluster.hosts.hosts:
        hcluster.start_agent_on(host, TWO_TASKS)
    hcluster.start_service()
    _deploy(hcluster, tmp_path, 3)
    before = _until_running(hcluster, 3, "3 instances")
    cut = _busiest(hcluster, before)
    master_port = int(hcluster.address.rsplit(":", 1)[1])

    hcluster.hosts.network.block(cut, hcluster.hosts.gateway, master_port)
    try:
        wait_for(
            lambda: _agent_status(hcluster, cut) == "disconnected", 60, f"{cut.name} disconnected"
        )
    finally:
        hcluster.hosts.network.unblock(cut, hcluster.hosts.gateway, master_port)
    wait_for(lambda: _agent_status(hcluster, cut) == "active", 60, f"{cut.name} to reconnect")
    after = _running(hcluster)
    assert {t["task_id"] for t in after} == {t["task_id"] for t in before}
    assert sum(hcluster.running_by_host().values()) == 3
    log = next(a for a in hcluster.host_agents if a.host == cut).log()
    assert "retrying in" in log or "reconnecting" in log
