"""The driver's Prometheus counters (docs/metrics.md, "offer-service /
offer-batch"): what a framework hears from the master and answers. One
increment per event or call, nothing per offer's resources."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

PREFIX = "offer_framework"


class DriverMetrics:
    """Counters in the framework daemon's registry; a driver given none keeps
    them in a registry of its own that nobody scrapes."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.offers_received = Counter(
            f"{PREFIX}_offers_received", "Offers the master sent.", registry=registry
        )
        self.offers_accepted = Counter(
            f"{PREFIX}_offers_accepted",
            "Offers used to launch tasks (accepts the master took).",
            registry=registry,
        )
        self.offers_declined = Counter(
            f"{PREFIX}_offers_declined",
            "Offers handed back (declines the master took).",
            registry=registry,
        )
        self.offers_rescinded = Counter(
            f"{PREFIX}_offers_rescinded",
            "Offers the master took back before they were answered.",
            registry=registry,
        )
        self.status_updates_received = Counter(
            f"{PREFIX}_status_updates_received",
            "Task status updates the master delivered (each is acknowledged once handled).",
            registry=registry,
        )
