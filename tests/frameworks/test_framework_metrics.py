"""offer-service's and offer-batch's /metrics, scraped from the real daemons
on a real cluster while they run apps and jobs."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.cluster import IMAGE, Cluster, http_get, http_port, wait_for

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

WEB = f"""
id: web
image: {IMAGE}
cmd: sleep 300
cpus: 0.1
mem: 32
instances: {{n}}
kill_grace_seconds: 0.2
"""

CRASH = f"""
id: crash
image: {IMAGE}
cmd: exit 1
cpus: 0.1
mem: 32
instances: 1
backoff_seconds: 0.2
kill_grace_seconds: 0.2
"""

JOBS = f"""
jobs:
- {{name: slow, image: {IMAGE}, cmd: sleep 300, mem: 32, kill_grace_seconds: 0.2}}
- {{name: quick, image: {IMAGE}, cmd: exit 0, mem: 32, completions: 2}}
- {{name: flaky, image: {IMAGE}, cmd: exit 3, mem: 32, retries: 1, backoff_seconds: 0.1}}
"""


def scrape(port: int) -> Samples:
    body = http_get(f"http://127.0.0.1:{port}/metrics")
    assert body is not None, f"nothing answers on 127.0.0.1:{port}"
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def metric(port: int, name: str, **labels: str) -> float | None:
    return scrape(port).get((name, frozenset(labels.items())))


def until_metric(port: int, name: str, wanted: float, **labels: str) -> None:
    wait_for(
        lambda: metric(port, name, **labels) == wanted,
        what=f"{name}{labels or ''} == {wanted}",
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return str(tmp_path / name)


def test_service_metrics_follow_its_apps(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    port = http_port(cluster.start_service().log, "offer-service")
    assert metric(port, "offer_service_apps") == 0

    assert cluster.app("deploy", write(tmp_path, "web.yaml", WEB.format(n=2))).returncode == 0
    until_metric(port, "offer_service_app_instances_running", 2, app="web")
    samples = scrape(port)
    for name, wanted in (
        ("offer_service_apps", 1),
        ("offer_service_instances_launched_total", 2),
        ("offer_service_instances_killed_total", 0),
        ("offer_service_deployments_in_progress", 0),
    ):
        assert samples[(name, frozenset())] == wanted, name
    for name in ("wanted", "running", "healthy"):
        assert samples[(f"offer_service_app_instances_{name}", frozenset({("app", "web")}))] == 2
    # The SDK's counters, in the same registry.
    assert samples[("offer_framework_offers_received_total", frozenset())] >= 1
    assert samples[("offer_framework_offers_accepted_total", frozenset())] >= 1
    assert samples[("offer_framework_status_updates_received_total", frozenset())] >= 2
    # The control API's calls are counted (offer.metrics' interceptor).
    deploys = {
        ("grpc_service", "offer.v1.ServiceControl"),
        ("grpc_method", "DeployApps"),
        ("grpc_type", "unary"),
        ("grpc_code", "OK"),
    }
    assert samples[("grpc_server_handled_total", frozenset(deploys))] == 1
    assert samples[("offer_event_loop_lag_seconds_count", frozenset())] > 0
    # The control API's port answers too.
    assert http_get(f"http://127.0.0.1:{port}/health") == "SERVING\n"

    assert cluster.app("scale", "web", "1").returncode == 0
    until_metric(port, "offer_service_app_instances_running", 1, app="web")
    assert metric(port, "offer_service_app_instances_wanted", app="web") == 1
    assert metric(port, "offer_service_instances_killed_total") == 1

    assert cluster.app("deploy", write(tmp_path, "crash.yaml", CRASH)).returncode == 0
    wait_for(
        lambda: (metric(port, "offer_service_backoffs_total") or 0) >= 2,
        what="the crashing app to back off twice",
    )
    assert metric(port, "offer_service_apps") == 2
    assert metric(port, "offer_service_app_instances_wanted", app="crash") == 1
    wait_for(
        lambda: metric(port, "offer_service_deployments_in_progress") == 1,
        what="the crashing app to count as a deployment in progress",
    )


def test_batch_metrics_follow_its_runs(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_master()
    cluster.start_agent("cpus:2;mem:1024")
    port = http_port(cluster.start_batch().log, "offer-batch")
    assert cluster.job("submit", write(tmp_path, "jobs.yaml", JOBS)).returncode == 0
    assert metric(port, "offer_batch_jobs") == 3
    assert metric(port, "offer_batch_runs", state="running") == 0

    slow = cluster.job("run", "slow").stdout.split()[1]
    assert metric(port, "offer_batch_runs", state="running") == 1
    assert metric(port, "offer_batch_runs_started_total", trigger="manual") == 1
    until_metric(port, "offer_batch_tasks_live", 1)

    assert cluster.job("run", "quick").returncode == 0
    until_metric(port, "offer_batch_runs_finished_total", 1, outcome="succeeded")
    assert metric(port, "offer_batch_runs", state="succeeded") == 1
    assert metric(port, "offer_batch_runs", state="running") == 1

    assert cluster.job("run", "flaky").returncode == 0
    until_metric(port, "offer_batch_runs_finished_total", 1, outcome="failed")
    assert metric(port, "offer_batch_task_retries_total") == 1

    assert cluster.job("cancel", slow).returncode == 0
    until_metric(port, "offer_batch_runs_finished_total", 1, outcome="cancelled")
    until_metric(port, "offer_batch_tasks_live", 0)
    samples = scrape(port)
    assert samples[("offer_batch_runs", frozenset({("state", "running")}))] == 0
    assert samples[("offer_batch_runs", frozenset({("state", "cancelled")}))] == 1
    assert samples[("offer_batch_runs_started_total", frozenset({("trigger", "manual")}))] == 3
    # slow 1, quick 2, flaky 2 (one retry)
    assert samples[("offer_batch_tasks_launched_total", frozenset())] == 5
