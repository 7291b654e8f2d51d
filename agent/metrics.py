"""The agent's Prometheus metrics (docs/metrics.md, "Agent").

Counters and the launch histogram are bumped where the events happen (one
increment per launch, exit or engine error, never per usage poll); the
gauges are read from the daemon's state when /metrics is scraped, so that
they cost nothing between scrapes and cannot drift from what the agent holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from offer.tasks import TERMINAL_STATES

PREFIX = "offer_agent"

# Create and start take milliseconds to a second on a local engine; a pull
# takes seconds to minutes, so the buckets reach five minutes.
LAUNCH_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
)
# The phases of a launch, as offer_agent_launch_duration_seconds's label.
PHASES = ("pull", "create", "start")
# What the agent asks the engine, as offer_agent_engine_errors_total's label.
OPERATIONS = ("connect", "events", "pull", "create", "start", "inspect", "logs", "remove")

# The gauges AgentGauges reads at scrape time.
GAUGES = (
    "containers_running",
    "registered",
    "engine_reachable",
    "status_updates_pending",
    "sandboxes",
)
# Why a sandbox was deleted, as offer_agent_sandboxes_collected_total's label.
GC_REASONS = ("delay", "disk")


class AgentMetrics:
    """The counters and histogram the executor and the containerizer bump.
    Each daemon has its own registry; one made without a registry (a test
    driving a containerizer alone) keeps them in a registry nobody scrapes."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.tasks_launched = Counter(
            f"{PREFIX}_tasks_launched",
            "Tasks the master asked this agent to launch.",
            registry=registry,
        )
        self.tasks_finished = Counter(
            f"{PREFIX}_tasks_finished",
            "Tasks that reached a terminal state on this agent, by that state.",
            ["state"],
            registry=registry,
        )
        self.launch_duration = Histogram(
            f"{PREFIX}_launch_duration_seconds",
            "Time a launch spent in each phase: pull (only when the image was missing), "
            "create and start of the container.",
            ["phase"],
            buckets=LAUNCH_BUCKETS,
            registry=registry,
        )
        self.engine_errors = Counter(
            f"{PREFIX}_engine_errors",
            "Calls to the container engine that failed, by operation.",
            ["operation"],
            registry=registry,
        )
        self.master_reconnects = Counter(
            f"{PREFIX}_master_reconnects",
            "Registrations with a master after the first: each time the agent lost its "
            "stream to the master and got it back.",
            registry=registry,
        )
        self.sandboxes_collected = Counter(
            f"{PREFIX}_sandboxes_collected",
            "Sandboxes of ended tasks deleted by the sandbox garbage collection, by reason: "
            "delay (older than --sandbox-gc-delay) or disk (the disk was fuller than "
            "--sandbox-gc-disk-threshold).",
            ["reason"],
            registry=registry,
        )
        # Every label value shown from the start, so that rate() and alerts
        # see a zero before the first event rather than no series at all.
        for state in sorted(TERMINAL_STATES):
            self.tasks_finished.labels(state.name.lower())
        for phase in PHASES:
            self.launch_duration.labels(phase)
        for operation in OPERATIONS:
            self.engine_errors.labels(operation)
        for reason in GC_REASONS:
            self.sandboxes_collected.labels(reason)

    def engine_error(self, operation: str) -> None:
        self.engine_errors.labels(operation).inc()


@dataclass(frozen=True)
class AgentState:
    """What the gauges read at scrape time."""

    containers_running: Callable[[], int]
    registered: Callable[[], bool]
    engine_reachable: Callable[[], bool]
    status_updates_pending: Callable[[], int]
    sandboxes: Callable[[], int]


class AgentGauges(Collector):
    """The agent's gauges, read from its state when /metrics is scraped
    (on the event loop, which is the only writer of that state)."""

    def __init__(self, state: AgentState) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        s = self._state
        yield _gauge(
            "containers_running",
            "Containers of this agent's tasks that are running.",
            s.containers_running(),
        )
        yield _gauge(
            "registered", "1 while the agent is registered with a master, else 0.", s.registered()
        )
        yield _gauge(
            "engine_reachable",
            "1 while the agent is connected to its container engine, else 0.",
            s.engine_reachable(),
        )
        yield _gauge(
            "status_updates_pending",
            "Task status updates sent (or waiting to be) that the master has not acknowledged yet.",
            s.status_updates_pending(),
        )
        yield _gauge(
            "sandboxes",
            "Sandboxes of ended tasks kept on this agent's disk (their output), until the "
            "sandbox garbage collection deletes them.",
            s.sandboxes(),
        )

    def describe(self) -> Iterator[Metric]:
        # Names only: registering must not read a daemon that is still being built.
        for name in GAUGES:
            yield GaugeMetricFamily(f"{PREFIX}_{name}", "")


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=float(value))
