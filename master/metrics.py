"""The master's event-driven metrics: what can only be counted as it
happens (offers answered, cycles timed, commits timed, registrations).
What the master holds (agents, tasks, resources, offers outstanding) is
read from its state at scrape time instead (`master.state_metrics`), so
that it costs nothing per event.

Every name starts with `offer_master_`; label values are bounded (states,
kinds, reasons: never an id). docs/metrics.md lists them all.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from offer.metrics import new_registry

PREFIX = "offer_master_"

# A cycle over a few candidate agents takes well under a millisecond; one
# over 10,000 tens of milliseconds (bench/profiling.md).
ALLOCATION_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    float("inf"),
)  # fmt: skip
# From the agent's stamp to the framework's stream: a group commit (an
# fsync) plus the loop's queue; seconds when the master is swamped.
UPDATE_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    float("inf"),
)  # fmt: skip
COMMIT_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, float("inf"),
)  # fmt: skip
WRITES_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, float("inf"))


class MasterMetrics:
    """The instruments the master's parts update. Updating one costs about a
    microsecond (a lock and an addition); none is updated per offer or per
    task inside a loop that could batch it."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # Without a registry (a master made by a test that does not scrape
        # it) the instruments still count, into a registry of their own.
        self.registry = registry = registry if registry is not None else new_registry(False)

        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(PREFIX + name, doc, labels, registry=registry)

        self.offers_made = counter("offers_made", "Offers made to frameworks.")
        self.offers_accepted = counter("offers_accepted", "Offers used by an Accept.")
        self.offers_declined = counter("offers_declined", "Offers declined by their framework.")
        self.offers_rescinded = counter(
            "offers_rescinded",
            "Offers taken back from their framework, which was told: timed out, "
            "their agent left, drained or lost its engine, or reclaimed for a newcomer.",
        )
        self.offers_withdrawn = counter(
            "offers_withdrawn",
            "Offers dropped without telling their framework: it disconnected, "
            "subscribed again, suppressed or was removed.",
        )
        self.tasks_launched = counter("tasks_launched", "Tasks accepted and sent to agents.")
        registrations = counter(
            "agent_registrations", "Agent registrations, by kind (new or reregistered).", ("kind",)
        )
        self.agents_registered = registrations.labels("new")
        self.agents_reregistered = registrations.labels("reregistered")
        self.agent_disconnections = counter(
            "agent_disconnections", "Agent streams that ended (the agent may come back)."
        )
        removals = counter(
            "agent_removals",
            "Agents given up on, by reason: lost (no contact within the agent "
            "timeout) or removed (by an operator).",
            ("reason",),
        )
        self.agents_lost = removals.labels("lost")
        self.agents_removed = removals.labels("removed")
        subscriptions = counter(
            "framework_subscriptions",
            "Framework subscriptions, by kind (new or resubscribed: a failover).",
            ("kind",),
        )
        self.frameworks_subscribed = subscriptions.labels("new")
        self.frameworks_resubscribed = subscriptions.labels("resubscribed")
        self.framework_disconnections = counter(
            "framework_disconnections", "Framework streams that ended (it may fail over)."
        )
        framework_removals = counter(
            "framework_removals",
            "Frameworks removed, by reason: teardown, or failover_timeout.",
            ("reason",),
        )
        self.frameworks_torn_down = framework_removals.labels("teardown")
        self.frameworks_timed_out = framework_removals.labels("failover_timeout")
        self.allocation_seconds = Histogram(
            PREFIX + "allocation_duration_seconds",
            "Seconds one allocation cycle took (deciding and recording its offers).",
            buckets=ALLOCATION_BUCKETS,
            registry=registry,
        )
        self.status_update_latency = Histogram(
            PREFIX + "status_update_latency_seconds",
            "Seconds from an agent's stamp on a task status update to the master "
            "handing it, persisted, to the framework's stream (clocks assumed in sync).",
            buckets=UPDATE_BUCKETS,
            registry=registry,
        )
        self.commit_seconds = Histogram(
            PREFIX + "store_commit_duration_seconds",
            "Seconds one group commit of the state store took, from handing its "
            "writes to the commit thread until they were durable.",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        self.commit_writes = Histogram(
            PREFIX + "store_commit_writes",
            "Writes (each a call's rows) grouped into one commit.",
            buckets=WRITES_BUCKETS,
            registry=registry,
        )
        self.commit_failures = counter(
            "store_commit_failures", "Group commits that failed or were refused (fenced)."
        )

    def committed(self, writes: int, seconds: float, ok: bool) -> None:
        """A group commit of `writes` writes ended after `seconds`."""
        self.commit_seconds.observe(seconds)
        self.commit_writes.observe(writes)
        if not ok:
            self.commit_failures.inc()
