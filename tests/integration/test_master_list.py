"""Clients given several masters (issue 22), with one real master: a single
address works as before, and a list whose first address is dead reaches the
master behind it (agent, SDK framework, offer-service, offerctl)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.cluster import Cluster, free_port, wait_for
from tests.support.framework import Recorder, framework


def dead_address() -> str:
    """An address nothing listens on (connections to it are refused)."""
    return f"127.0.0.1:{free_port()}"


async def test_a_framework_passes_over_a_dead_master(cluster: Cluster) -> None:
    cluster.start_master()
    rec = Recorder()
    async with framework(f"{dead_address()},{cluster.address}", rec) as (driver, _):
        assert driver.master == cluster.address
        frameworks = cluster.list("frameworks")
        assert [f.info.framework_id for f in frameworks] == [rec.framework_id]


async def test_a_framework_with_one_master_keeps_its_id_across_a_restart(
    cluster: Cluster,
) -> None:
    """One address, as before: a master restart is waited out with backoff and
    the framework re-subscribes with its id."""
    cluster.start_master()
    rec = Recorder()
    async with framework(cluster.address, rec, failover_timeout=60) as (driver, _):
        first = rec.framework_id
        cluster.restart_master()
        await rec.until(lambda: rec.subscriptions >= 2)
        assert rec.framework_id == first and driver.resubscribed


def test_an_agent_passes_over_a_dead_master(cluster: Cluster) -> None:
    cluster.start_master()
    # The later --master wins over the one the cluster gives.
    agent = cluster.start_agent("cpus:1;mem:256", "--master", f"{dead_address()},{cluster.address}")
    # The master lists it as soon as it registers; its log line may follow.
    wait_for(
        lambda: f"registered with master {cluster.address}" in agent.log(),
        10,
        "the agent to log its registration",
    )


def test_offer_service_passes_over_a_dead_master(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_service("--master", f"{dead_address()},{cluster.address}")
    assert [f.info.name for f in cluster.list("frameworks")] == ["offer-service"]


def test_offerctl_passes_over_a_dead_master(cluster: Cluster) -> None:
    cluster.start_master()
    dead = dead_address()
    done = cluster.offerctl("status", "-o", "json", master=f"{dead},{cluster.address}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["master"]
    # OFFER_MASTER takes the same list.
    done = subprocess.run(
        [sys.executable, "-m", "offer.ctl.cli", "frameworks", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        env=cluster._env({"OFFER_MASTER": f"{dead}, {cluster.address}"}),
    )
    assert done.returncode == 0, done.stderr


def test_offerctl_names_every_master_when_none_answers(cluster: Cluster) -> None:
    masters = f"{dead_address()},{dead_address()}"
    done = cluster.offerctl("agents", master=masters)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"offerctl: cannot reach the master at {masters} (unavailable); "
        "is offer-master running there? Set --master or OFFER_MASTER."
    )


def test_a_bad_master_list_is_a_usage_error(cluster: Cluster) -> None:
    done = cluster.offerctl("agents", master="127.0.0.1:5050,a:x")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "offerctl: --master: 'a:x' is not HOST:PORT (a host, and a port 1-65535)",
    )
    for daemon in ("agent.cli", "frameworks.service.cli", "frameworks.batch.cli"):
        done = subprocess.run(
            [sys.executable, "-m", daemon, "--master", "a:5050,,b:5050"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 2, daemon
        assert "argument --master: 'a:5050,,b:5050' has an empty item" in done.stderr, daemon
