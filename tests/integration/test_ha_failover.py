"""Issue 22's proof: three masters on one PostgreSQL; the leader killed -9
while an app of 10 instances deploys and a batch run is under way. A standby
leads, the app reaches 10 running with never more, the run succeeds, and
`offerctl status` names the new leader."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cluster import IMAGE, free_ports, wait_for
from tests.support.ha import HaCluster, HaMasters
from tests.support.postgres import PostgresServer

INSTANCES = 10


@pytest.fixture
def ha(postgres: PostgresServer, tmp_path: Path) -> Iterator[tuple[HaMasters, HaCluster]]:
    masters = HaMasters(tmp_path, postgres.new_database())
    addresses = [masters.start() for _ in range(3)]
    cluster = HaCluster(tmp_path, masters, addresses)
    try:
        yield masters, cluster
    finally:
        cluster.close()
        masters.close()


def _running_app_containers(cluster: HaCluster) -> int:
    return sum(
        1
        for c in cluster.containers()
        if c["State"] == "running" and c["Labels"].get("offer.task_id", "").startswith("web.")
    )


def test_leader_killed_mid_deploy_and_mid_run(
    ha: tuple[HaMasters, HaCluster], tmp_path: Path
) -> None:
    masters, cluster = ha
    first = wait_for(masters.leader, what="a leader")
    for _ in range(2):
        cluster.start_agent(f"cpus:2;mem:2048;{free_ports(4)}")
    cluster.start_service()
    cluster.start_batch()
    (tmp_path / "web.yaml").write_text(
        f"id: web\nimage: {IMAGE}\ncmd: [sleep, '3600']\ninstances: {INSTANCES}\n"
        "backoff_seconds: 0\nkill_grace_seconds: 0.2\n"
    )
    (tmp_path / "job.yaml").write_text(
        f"name: work\nimage: {IMAGE}\ncmd: sleep 4; echo done\nretries: 2\nbackoff_seconds: 0\n"
    )
    assert cluster.job("submit", str(tmp_path / "job.yaml")).returncode == 0
    run_id = cluster.job("run", "work").stdout.split()[1]
    assert cluster.app("deploy", str(tmp_path / "web.yaml")).returncode == 0

    # Never more than INSTANCES run at once, from the deploy to the end.
    most = [0]
    watching = threading.Event()
    watching.set()

    def watch() -> None:
        while watching.is_set():
            most[0] = max(most[0], _running_app_containers(cluster))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        # Mid-deploy and mid-run: some instances up, the run's task running.
        wait_for(lambda: _running_app_containers(cluster) >= 2, 60, "the deploy under way")
        masters.kill(first)
        second = wait_for(masters.leader, 30, "a standby to lead")
        assert second != first

        def running_apps() -> list[dict[str, Any]]:
            tasks = cluster.app_json("web")["tasks"]
            running = [t for t in tasks if t["state"] == "RUNNING"]
            return running if len(running) == INSTANCES else []

        wait_for(running_apps, 90, f"{INSTANCES} instances running")
        run = wait_for(
            lambda: (
                (r := cluster.job_json("run-show", run_id))["state"] in ("SUCCEEDED", "FAILED")
                and r
            ),
            90,
            "the run to end",
        )
        assert run["state"] == "SUCCEEDED", run
        wait_for(lambda: _running_app_containers(cluster) == INSTANCES, 30, "10 containers")
    finally:
        watching.clear()
        watcher.join()
    assert most[0] <= INSTANCES, f"{most[0]} instances ran at once"
    status = cluster.offerctl("status")
    assert status.returncode == 0 and second in status.stdout, status.stdout + status.stderr
