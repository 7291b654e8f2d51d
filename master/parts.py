"""The master's parts, handed to the calls that work over them; what both
agent calls and framework calls do with a task's new status; and the base
that gives the calls the parts as attributes."""

from __future__ import annotations

from dataclasses import dataclass

from master.allocation import Allocation
from master.cluster import Task
from master.config import MasterConfig
from master.events import EventHub, EventKind
from master.links import Links
from master.messages import StatusChanged
from master.metrics import MasterMetrics
from master.offerbook import OfferBook
from master.state import ClusterState
from master.store import StateStore
from master.timers import Timers
from offer.clock import Clock
from offer.tasks import TaskStatus


@dataclass(frozen=True)
class Parts:
    config: MasterConfig
    clock: Clock
    # What the master knows, in memory; and where it is made durable.
    state: ClusterState
    store: StateStore
    # The streams to agents and frameworks.
    links: Links
    # Outstanding offers and refusals.
    offers: OfferBook
    timers: Timers
    allocation: Allocation
    # What operators watch: fed only after a change is durable.
    events: EventHub
    metrics: MasterMetrics

    def forward(self, task: Task, status: TaskStatus) -> None:
        """Hands a persisted update to its framework, keeping it until
        acknowledged, and to operators' event watchers."""
        self.publish_task_changed(task, status)
        fw = self.state.frameworks.get(task.framework_id)
        if fw is not None and not fw.removed:
            fw.unacked[status.uuid] = status
            self.links.tell(fw.framework_id, StatusChanged(status))
        if status.state.is_terminal:
            self.state.end_forwarded(task)

    def publish_task_changed(self, task: Task, status: TaskStatus) -> None:
        text = f"task {task.task_id} is {status.state.name}"
        if status.healthy is not None:
            text += " (healthy)" if status.healthy else " (unhealthy)"
        self.events.publish(
            EventKind.TASK_CHANGED,
            f"{text}: {status.message}" if status.message else text,
            agent_id=task.agent_id,
            framework_id=task.framework_id,
            status=status,
        )


class OverParts:
    """What the agent calls and the framework calls start from: the parts,
    each an attribute of its own."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts
        self._config, self._clock = parts.config, parts.clock
        self._state, self._store, self._events = parts.state, parts.store, parts.events
        self._links, self._offers, self._timers = parts.links, parts.offers, parts.timers
        self._allocation = parts.allocation
        self._metrics = parts.metrics
