"""The cluster in numbers, for `offerctl status`: counted by the master so
that a status costs one small answer, not every task on the wire. Pure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from master.state import ClusterState
from offer.resources import Resources, Usage


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    agents: dict[str, int]
    frameworks: dict[str, int]
    # By state name ("RUNNING", ...).
    tasks: dict[str, int]
    # Of connected agents, without ports (ranges of different machines do
    # not add up).
    total: Resources
    allocated: Resources
    offered: Resources
    idle: Resources
    # None until some connected agent has reported.
    used: Usage | None


def framework_status(connected: bool, removed: bool) -> str:
    return "removed" if removed else ("active" if connected else "disconnected")


def summarize(state: ClusterState) -> ClusterSummary:
    connected = [a for a in state.agents.values() if a.connected]
    total = sum((a.total.without_ports() for a in connected), Resources())
    allocated = sum((a.allocated.without_ports() for a in connected), Resources())
    offered = sum((a.offered.without_ports() for a in connected), Resources())
    reports = [a.usage for a in connected if a.usage is not None]
    used = None
    if reports:
        used = Usage(
            round(sum(u.cpus_used for u in reports), 3),
            round(sum(u.mem_used for u in reports), 1),
            min(u.timestamp for u in reports),
        )
    return ClusterSummary(
        agents=dict(Counter(a.status for a in state.agents.values())),
        frameworks=dict(
            Counter(framework_status(f.connected, f.removed) for f in state.frameworks.values())
        ),
        tasks=dict(Counter(t.status.state.name for t in state.tasks.values())),
        total=total,
        allocated=allocated,
        offered=offered,
        idle=total - allocated - offered,
        used=used,
    )
