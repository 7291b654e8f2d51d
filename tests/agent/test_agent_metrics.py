"""The agent's /metrics and /health, scraped from a real agent registered
with a real master, while a framework launches, ends and kills tasks."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from prometheus_client.parser import text_string_to_metric_families

from frameworks.sdk import TaskState
from offer.localcluster.registry import Registry
from tests.support.cluster import IMAGE, Cluster, free_port, http_get, http_port, wait_for
from tests.support.framework import framework, task

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    body = http_get(f"http://127.0.0.1:{port}/metrics")
    assert body is not None, "nothing answers on the agent's HTTP port"
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def pullable_image(tmp_path: Path) -> Iterator[str]:
    """An image the engine does not have, in a registry on loopback: a task
    of it makes the agent pull it first."""
    registry = Registry("127.0.0.1", tmp_path / "registry")
    # Any free port: tests run side by side (the class's own port is for `make cluster`).
    registry.address = f"127.0.0.1:{free_port()}"
    registry.start()
    name = registry.name(f"offer-test/pulled-{secrets.token_hex(4)}:1")
    client = docker.from_env()
    try:
        client.images.get(IMAGE).tag(name)
        client.images.push(name)
        client.images.remove(name)
        yield name
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(name, force=True)
        client.close()
        registry.stop()


def metric(port: int, name: str, **labels: str) -> float:
    return value(scrape(port), name, **labels)


async def test_metrics_move_as_tasks_launch_end_and_are_killed(
    cluster: Cluster, pullable_image: str
) -> None:
    cluster.start_master()
    port = http_port(cluster.start_agent("cpus:2;mem:1024").log, "the agent")
    health = await asyncio.to_thread(
        wait_for,
        lambda: http_get(f"http://127.0.0.1:{port}/health"),
        what="/health to answer 200",
    )
    assert health.strip() == "SERVING"
    before = scrape(port)
    assert value(before, "offer_agent_registered") == 1
    assert value(before, "offer_agent_engine_reachable") == 1
    assert value(before, "offer_agent_containers_running") == 0
    assert value(before, "offer_agent_tasks_launched_total") == 0
    for phase in ("pull", "create", "start"):
        assert value(before, "offer_agent_launch_duration_seconds_count", phase=phase) == 0

    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("sleeper", "sleep 300", image=pullable_image))
        await rec.until_state("sleeper", TaskState.RUNNING)
        running = scrape(port)
        assert value(running, "offer_agent_containers_running") == 1
        assert value(running, "offer_agent_tasks_launched_total") == 1
        for phase in ("pull", "create", "start"):
            count = value(running, "offer_agent_launch_duration_seconds_count", phase=phase)
            assert count == 1, phase
            assert value(running, "offer_agent_launch_duration_seconds_sum", phase=phase) > 0

        await rec.launch(driver, task("quick", "exit 0"))
        await rec.until_state("quick", TaskState.FINISHED)
        await driver.kill("sleeper")
        await rec.until_state("sleeper", TaskState.KILLED)
        ended = scrape(port)
        assert value(ended, "offer_agent_tasks_launched_total") == 2
        assert value(ended, "offer_agent_containers_running") == 0
        assert value(ended, "offer_agent_tasks_finished_total", state="finished") == 1
        assert value(ended, "offer_agent_tasks_finished_total", state="killed") == 1
        assert value(ended, "offer_agent_tasks_finished_total", state="failed") == 0
        # The image was there for the second task: one pull, two creates and starts.
        for phase, count in (("pull", 1), ("create", 2), ("start", 2)):
            assert value(ended, "offer_agent_launch_duration_seconds_count", phase=phase) == count
        assert value(ended, "offer_agent_engine_errors_total", operation="pull") == 0
        # The shared event-loop lag measurer runs in the agent too.
        assert value(ended, "offer_event_loop_lag_seconds_count") > 0
        # Acknowledged once the framework took them.
        await asyncio.to_thread(
            wait_for,
            lambda: metric(port, "offer_agent_status_updates_pending") == 0,
            what="every update acknowledged",
        )

    assert value(scrape(port), "offer_agent_master_reconnects_total") == 0
    await asyncio.to_thread(cluster.restart_master)
    await asyncio.to_thread(
        wait_for,
        lambda: metric(port, "offer_agent_master_reconnects_total") == 1,
        what="the agent to count its reconnect",
    )
    assert metric(port, "offer_agent_registered") == 1


async def test_a_failed_pull_counts_an_engine_error(cluster: Cluster) -> None:
    cluster.start_master()
    port = http_port(cluster.start_agent("cpus:2;mem:1024").log, "the agent")
    # A registry on loopback where nothing listens: the pull fails at once.
    absent = f"127.0.0.1:{free_port()}/offer-test/absent:1"
    async with framework(cluster.address) as (driver, rec):
        await rec.launch(driver, task("ghost", image=absent))
        await rec.until_state("ghost", TaskState.FAILED)
    samples = scrape(port)
    assert value(samples, "offer_agent_engine_errors_total", operation="pull") == 1
    assert value(samples, "offer_agent_tasks_finished_total", state="failed") == 1
    assert value(samples, "offer_agent_launch_duration_seconds_count", phase="pull") == 0
    assert value(samples, "offer_agent_launch_duration_seconds_count", phase="create") == 0
