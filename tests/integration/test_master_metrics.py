"""The master's /metrics and /health over HTTP, scraped from real
processes: a master, an agent with its Docker engine, and a framework
over gRPC. The values move as tasks launch and end, and as offerctl calls
the Operator API; a standby says it stands by."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from offer.tasks import TaskState
from tests.support.cluster import Cluster, http_port, wait_for
from tests.support.framework import framework, task
from tests.support.ha import HaMasters

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    """/metrics, parsed as Prometheus parses it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


async def test_metrics_move_as_a_task_launches_and_ends(cluster: Cluster) -> None:
    port = http_port(cluster.start_master().log, "the master")
    cluster.start_agent("cpus:2;mem:1024")
    before = scrape(port)
    assert value(before, "offer_master_leader") == 1
    assert value(before, "offer_master_agents", status="active") == 1
    assert value(before, "offer_master_resources_capacity", resource="cpus") == 2
    assert value(before, "offer_master_tasks", state="RUNNING") == 0
    assert health(port) == 200

    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("sleeper", "sleep 60", cpus=0.5, mem=48))
        await rec.until_state("sleeper", TaskState.RUNNING)
        running = scrape(port)
        await driver.kill("sleeper")
        await rec.until_terminal("sleeper")
        ended = scrape(port)

    assert value(running, "offer_master_tasks", state="RUNNING") == 1
    assert value(running, "offer_master_tasks_launched_total") == 1
    assert value(running, "offer_master_offers_accepted_total") == 1
    assert value(running, "offer_master_offers_made_total") >= 1
    assert value(running, "offer_master_frameworks", status="active") == 1
    assert value(running, "offer_master_resources_allocated", resource="cpus", role="*") == 0.5
    assert value(running, "offer_master_resources_allocated", resource="mem", role="*") == (
        48 * 2**20
    )
    assert value(running, "offer_master_allocation_duration_seconds_count") > value(
        before, "offer_master_allocation_duration_seconds_count"
    )
    # STARTING and RUNNING came from the agent, persisted, then forwarded.
    assert value(running, "offer_master_status_update_latency_seconds_count") >= 2
    assert value(running, "offer_master_store_commit_duration_seconds_count") > value(
        before, "offer_master_store_commit_duration_seconds_count"
    )
    subscribe = {
        "grpc_service": "offer.v1.Scheduler",
        "grpc_method": "Subscribe",
        "grpc_type": "server_stream",
    }
    assert value(running, "grpc_server_started_total", **subscribe) == 1

    assert value(ended, "offer_master_tasks", state="RUNNING") == 0
    assert value(ended, "offer_master_tasks", state="KILLED") == 1
    assert value(ended, "offer_master_resources_allocated", resource="cpus", role="*") == 0
    accept = {"grpc_service": "offer.v1.Scheduler", "grpc_method": "Accept", "grpc_type": "unary"}
    assert value(ended, "grpc_server_handled_total", **accept, grpc_code="OK") == 1
    assert value(ended, "offer_event_loop_lag_seconds_count") > 0
    assert value(ended, "process_resident_memory_bytes") > 0

    # The framework's stream closed: counted once, as it ended.
    def subscribe_handled() -> float:
        return sum(
            v
            for (name, labels), v in scrape(port).items()
            if name == "grpc_server_handled_total" and ("grpc_method", "Subscribe") in labels
        )

    assert await asyncio.to_thread(wait_for, subscribe_handled) == 1


def test_operator_calls_are_counted_by_method_and_code(cluster: Cluster) -> None:
    port = http_port(cluster.start_master().log, "the master")
    list_agents = {
        "grpc_service": "offer.v1.Operator",
        "grpc_method": "ListAgents",
        "grpc_type": "unary",
    }
    before = value(scrape(port), "grpc_server_handled_total", **list_agents, grpc_code="OK")
    done = cluster.offerctl("agents")
    assert done.returncode == 0, done.stderr
    refused = cluster.offerctl("agent", "drain", "no-such-agent")
    assert refused.returncode != 0
    after = scrape(port)
    assert value(after, "grpc_server_handled_total", **list_agents, grpc_code="OK") == before + 1
    drains = [
        labels
        for (name, labels), v in after.items()
        if name == "grpc_server_handled_total" and ("grpc_code", "NOT_FOUND") in labels and v
    ]
    assert drains, sorted(name for name, _ in after)


def test_a_standby_serves_metrics_and_answers_503_on_health(masters: HaMasters) -> None:
    leader = masters.start()
    leader_http = http_port(lambda: masters.log(leader), "the leader")
    wait_for(lambda: masters.leads(leader), what="the first master to lead")
    second = masters.start()
    standby_http = http_port(lambda: masters.log(second), "the standby")
    assert health(leader_http) == 200
    assert health(standby_http) == 503
    assert value(scrape(leader_http), "offer_master_leader") == 1
    standby = scrape(standby_http)
    assert value(standby, "offer_master_leader") == 0
    # A standby's empty state is not the cluster's: it reports none of it.
    assert not [name for name, _ in standby if name == "offer_master_agents"]
