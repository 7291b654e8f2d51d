"""What every daemon's Prometheus registry holds before its own metrics:
the process (CPU, memory, open files), the platform and the garbage
collector, as prometheus-client's default registry has them. One registry
per daemon object, so that several in one process (the tests) never clash."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector


def new_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
