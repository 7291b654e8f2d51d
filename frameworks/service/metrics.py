"""offer-service's Prometheus metrics (docs/metrics.md, "offer-service /
offer-batch").

The counters are bumped where the scheduler acts; the gauges are read from
its apps and instances when /metrics is scraped. Per-app gauges carry the
app id as a label: apps are named by operators, so their number stays
bounded in practice (unlike task ids, which never appear as labels).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from frameworks.service.store import AppRecord, InstanceRecord
from offer.tasks import TaskState

PREFIX = "offer_service"


class ServiceMetrics:
    """What the scheduler counts; without a registry (a unit test) they go to
    one nobody scrapes."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.instances_launched = Counter(
            f"{PREFIX}_instances_launched",
            "App instances launched (accepts the master took).",
            registry=registry,
        )
        self.instances_killed = Counter(
            f"{PREFIX}_instances_killed",
            "Kills asked of the master: scale-downs, replaced versions, unhealthy "
            "instances, removed apps, strays.",
            registry=registry,
        )
        self.backoffs = Counter(
            f"{PREFIX}_backoffs",
            "Instance failures that delayed the app's next launch (crash-loop backoff).",
            registry=registry,
        )


class ServiceState(Protocol):
    """What the gauges read: the ServiceScheduler's records (a protocol, so
    that the scheduler, which counts into ServiceMetrics, is not imported back)."""

    @property
    def apps(self) -> Mapping[str, AppRecord]: ...

    @property
    def instances(self) -> Mapping[str, InstanceRecord]: ...


class ServiceGauges(Collector):
    """The apps' desired and actual instances, read at scrape time on the
    event loop (the scheduler's state has no other writer)."""

    def __init__(self, scheduler: ServiceState) -> None:
        self._scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        scheduler = self._scheduler
        wanted = _family("app_instances_wanted", "Instances the app's spec asks for.")
        running = _family("app_instances_running", "The app's instances in state RUNNING.")
        healthy = _family(
            "app_instances_healthy",
            "The app's RUNNING instances that pass their health check (all RUNNING ones "
            "if it has none).",
        )
        counts = {app_id: [0, 0, 0, 0] for app_id in scheduler.apps}
        for inst in scheduler.instances.values():
            count = counts.get(inst.app_id)
            if count is None or inst.state.is_terminal:
                continue
            app = scheduler.apps[inst.app_id]
            current = inst.version == app.version
            ready = inst.state == TaskState.RUNNING and (
                bool(inst.healthy) or app.spec.health_check is None
            )
            count[0] += inst.state == TaskState.RUNNING
            count[1] += ready
            count[2] += current and ready
            count[3] += not current
        deploying = 0
        for app_id, (n_running, n_healthy, n_current_ready, n_old) in sorted(counts.items()):
            instances = scheduler.apps[app_id].spec.instances
            wanted.add_metric([app_id], instances)
            running.add_metric([app_id], n_running)
            healthy.add_metric([app_id], n_healthy)
            deploying += bool(n_old) or n_current_ready != instances
        yield GaugeMetricFamily(f"{PREFIX}_apps", "Apps deployed.", value=len(scheduler.apps))
        yield wanted
        yield running
        yield healthy
        yield GaugeMetricFamily(
            f"{PREFIX}_deployments_in_progress",
            "Apps not yet converged: instances of an older version still live, or fewer "
            "or more ready instances of the current version than wanted (an app in "
            "crash-loop backoff stays here).",
            value=deploying,
        )

    def describe(self) -> Iterator[Metric]:
        # Names only: registering must not read a scheduler still loading.
        for name in ("apps", "deployments_in_progress"):
            yield GaugeMetricFamily(f"{PREFIX}_{name}", "")
        for name in ("app_instances_wanted", "app_instances_running", "app_instances_healthy"):
            yield _family(name, "")


def _family(name: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=["app"])
