"""What the master holds, as Prometheus gauges read at scrape time: agents by
status, frameworks by status, tasks by state, resources by role, the
outstanding offers and the age of the oldest, roles' quotas (guarantee,
limit, what is held back), what is reserved for each role, and whether it
leads.

Read from the master's in-memory state when /metrics is asked for (on its
event loop, between calls), so that none of it costs anything per event.
A scrape costs one pass over the agents and the frameworks; tasks are
counted as they change (`ClusterState.task_states`). A standby reports
only `offer_master_leader 0`: its empty state is not the cluster's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from master.core import Master
from master.metrics import PREFIX
from master.summary import framework_status
from offer import resources
from offer.resources import Resources
from offer.tasks import TaskState

# Every status an agent may have (master.cluster.Agent.status), as label values.
AGENT_STATUSES = {
    "active": "active",
    "draining": "draining",
    "engine unavailable": "engine_unavailable",
    "disconnected": "disconnected",
    "lost": "lost",
}
FRAMEWORK_STATUSES = ("active", "disconnected", "removed")
# UNKNOWN only answers a reconciliation; no task is ever in it.
TASK_STATES = tuple(s for s in TaskState if s not in (TaskState.UNSPECIFIED, TaskState.UNKNOWN))
# Resources as labels, in Prometheus's base units: cores, and bytes for
# what offer.resources keeps in MiB. Ports are ranges, not amounts.
RESOURCES = (("cpus", 1.0), ("mem", 2.0**20), ("disk", 2.0**20))


class MasterStateCollector(Collector):
    """Yields the master's state metrics; `leading()` says whether this
    master leads (a standby's state is empty until it takes over)."""

    def __init__(self, master: Master, leading: Callable[[], bool] = lambda: True) -> None:
        self._master = master
        self._leading = leading

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Described as empty families, so that registering the collector
        # does not read the master's state (nor needs it loaded).
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        leading = self._leading()
        families = self._families()
        families[0].add_metric([], 1.0 if leading else 0.0)
        if not leading:
            yield families[0]
            return
        self._fill(*families[1:])
        yield from families

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
            return GaugeMetricFamily(PREFIX + name, doc, labels=labels)

        return [
            gauge("leader", "1 if this master leads, 0 while it stands by."),
            gauge("agents", "Agents the master knows, by status.", ("status",)),
            gauge("frameworks", "Frameworks the master knows, by status.", ("status",)),
            gauge("frameworks_suppressed", "Subscribed frameworks suppressing offers."),
            gauge("tasks", "Tasks the master knows, by latest state.", ("state",)),
            gauge(
                "resources_capacity",
                "Resources of connected agents (cpus in cores, mem and disk in bytes).",
                ("resource",),
            ),
            gauge(
                "resources_allocated",
                "Resources held by live tasks, by their framework's role.",
                ("resource", "role"),
            ),
            gauge(
                "resources_offered",
                "Resources in outstanding offers, by their framework's role.",
                ("resource", "role"),
            ),
            gauge("offers_outstanding", "Offers made and not yet answered."),
            gauge(
                "offers_oldest_age_seconds",
                "Age of the oldest outstanding offer (0 when there is none).",
            ),
            gauge(
                "quota_guarantee",
                "A role's quota guarantee, by guaranteed resource.",
                ("resource", "role"),
            ),
            gauge(
                "quota_limit", "A role's quota limit, by limited resource.", ("resource", "role")
            ),
            gauge(
                "quota_held_back",
                "What is held back from other roles for a role owed part of its guarantee.",
                ("resource", "role"),
            ),
            gauge(
                "resources_reserved",
                "Resources reserved for a role (static and dynamic) on agents not lost.",
                ("resource", "role"),
            ),
            gauge(
                "resources_revocable",
                "Revocable resources of connected agents: the slack they report, what "
                "revocable tasks hold and what offers lend (kind slack, allocated, offered).",
                ("resource", "kind"),
            ),
        ]

    def _fill(
        self,
        agents: GaugeMetricFamily,
        frameworks: GaugeMetricFamily,
        suppressed: GaugeMetricFamily,
        tasks: GaugeMetricFamily,
        capacity: GaugeMetricFamily,
        allocated: GaugeMetricFamily,
        offered: GaugeMetricFamily,
        outstanding: GaugeMetricFamily,
        oldest: GaugeMetricFamily,
        guarantee: GaugeMetricFamily,
        limit: GaugeMetricFamily,
        held_back: GaugeMetricFamily,
        reserved: GaugeMetricFamily,
        revocable: GaugeMetricFamily,
    ) -> None:
        state = self._master.state
        by_status = Counter(a.status for a in state.agents.values())
        for status, label in AGENT_STATUSES.items():
            agents.add_metric([label], by_status[status])
        fw_status = Counter(
            framework_status(f.connected, f.removed) for f in state.frameworks.values()
        )
        for status in FRAMEWORK_STATUSES:
            frameworks.add_metric([status], fw_status[status])
        suppressed.add_metric(
            [], sum(1 for f in state.frameworks.values() if f.connected and f.suppressed)
        )
        for task_state in TASK_STATES:
            tasks.add_metric([task_state.name], state.task_states[task_state])
        _add_resources(capacity, [], state.active_total())
        held: dict[str, tuple[Resources, Resources]] = {}
        for fw in state.frameworks.values():
            a, o = held.get(fw.role, (Resources(), Resources()))
            held[fw.role] = (a + fw.allocated.without_ports(), o + fw.offered.without_ports())
        for role, (in_tasks, in_offers) in sorted(held.items()):
            _add_resources(allocated, [role], in_tasks)
            _add_resources(offered, [role], in_offers)
        outstanding.add_metric([], len(state.offers))
        # Offers enter the dict as they are made, in time order: the first is the oldest.
        first = next(iter(state.offers.values()), None)
        age = 0.0 if first is None else max(0.0, self._master.clock() - first.created_at)
        oldest.add_metric([], age)
        for stand in self._master.quota_calls.view():
            quota, role = stand.quota, stand.role
            for name, scale in RESOURCES:
                if name in quota.guarantees:
                    guarantee.add_metric([name, role], quota.guarantees[name] * scale)
                if name in quota.limits:
                    limit.add_metric([name, role], quota.limits[name] * scale)
            _add_resources(held_back, [role], stand.held_back)
        for by_role in self._master.reservation_calls.view():
            _add_resources(reserved, [by_role.role], by_role.reserved)
        connected = [a for a in state.agents.values() if a.connected]
        for kind, amounts in (
            ("slack", [a.slack for a in connected]),
            ("allocated", [a.revocable_held for a in connected]),
            ("offered", [a.revocable_offered for a in connected]),
        ):
            _add_resources(revocable, [kind], resources.total(amounts))


def _add_resources(family: GaugeMetricFamily, labels: list[str], amount: Resources) -> None:
    for name, scale in RESOURCES:
        family.add_metric([name, *labels], getattr(amount, name) * scale)
