"""The master's in-memory state and its bookkeeping.

Pure: no I/O, no asyncio. It keeps the invariants that make the numbers add
up: an agent's `allocated` is the sum of its live tasks, `offered` the sum
of its outstanding offers, and the two never exceed its total; the same sums
hold per framework. `master.core` decides *when* to change things;
this module knows *how*.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from operator import itemgetter

from master.allocator import is_allocatable
from master.cluster import Agent, Framework, Offer, Task, TaskKey
from offer import resources
from offer.resources import Resources
from offer.tasks import TaskStatus


class ClusterState:
    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}
        self.frameworks: dict[str, Framework] = {}
        self.tasks: dict[TaskKey, Task] = {}
        self.offers: dict[str, Offer] = {}
        # Agents that may have something to offer: every change that can free
        # resources or make an agent eligible adds it, and an allocation cycle
        # looks at these alone (under load, a few of thousands).
        self._maybe_free: set[str] = set()
        self._active_total: Resources | None = None

    def agent_changed(self, agent_id: str) -> None:
        """An agent's total, connection, drain or engine state changed."""
        self._maybe_free.add(agent_id)
        self._active_total = None

    # ---------------------------------------------------------------- tasks

    def add_task(self, task: Task) -> None:
        self.add_tasks([task])

    def add_tasks(self, tasks: Iterable[Task]) -> None:
        """Adds tasks (a recovery adds hundreds of thousands): each agent's and
        framework's allocation grows once by the sum of its live tasks, not
        once per task."""
        by_framework: defaultdict[str, list[Resources]] = defaultdict(list)
        by_agent: defaultdict[str, list[Resources]] = defaultdict(list)
        for task in tasks:
            key = task.key
            self.tasks[key] = task
            if (fw := self.frameworks.get(task.framework_id)) is not None:
                fw.tasks.add(key)
            if (agent := self.agents.get(task.agent_id)) is not None:
                agent.tasks.add(key)
            if task.is_live:
                by_framework[task.framework_id].append(task.resources)
                by_agent[task.agent_id].append(task.resources)
        _allocate(self.frameworks, by_framework)
        _allocate(self.agents, by_agent)

    def set_status(self, task: Task, status: TaskStatus) -> bool:
        """Records a task's new status; True if it ended, freeing its resources."""
        was_live = task.is_live
        task.record(status)
        task.seen_updates.add(status.uuid)
        if was_live and not task.is_live:
            self.agents[task.agent_id].allocated -= task.resources
            self.frameworks[task.framework_id].allocated -= task.resources
            self._maybe_free.add(task.agent_id)
            task.seen_updates.clear()  # nothing is accepted after a terminal state
            return True
        return False

    def live_tasks_on(self, agent: Agent) -> list[Task]:
        return [self.tasks[k] for k in sorted(agent.tasks) if self.tasks[k].is_live]

    def live_task_count(self, fw: Framework) -> int:
        tasks = self.tasks
        return sum(1 for k in fw.tasks if tasks[k].is_live)

    def live_tasks_of(self, fw: Framework) -> list[Task]:
        # Sorted by task id alone (its keys all have its framework id): twice
        # as fast with a framework's 10,000s of tasks.
        keys = sorted(fw.tasks, key=itemgetter(1))
        return [self.tasks[k] for k in keys if self.tasks[k].is_live]

    # --------------------------------------------------------------- offers

    def add_offer(self, offer: Offer) -> None:
        self.offers[offer.offer_id] = offer
        self.agents[offer.agent_id].offered += offer.resources
        self.frameworks[offer.framework_id].offered += offer.resources

    def remove_offer(self, offer: Offer) -> None:
        del self.offers[offer.offer_id]
        self.agents[offer.agent_id].offered -= offer.resources
        self.frameworks[offer.framework_id].offered -= offer.resources
        self._maybe_free.add(offer.agent_id)

    def offerable_agents(self) -> list[Agent]:
        """Connected agents, neither draining nor without their engine, whose
        free amount is worth offering; the rest are forgotten until changed."""
        found = []
        for agent_id in list(self._maybe_free):
            agent = self.agents.get(agent_id)
            if (
                agent is not None
                and agent.connected
                and agent.drain_deadline is None
                and not agent.engine_problem
                and is_allocatable(agent.free)
            ):
                found.append(agent)
            else:
                self._maybe_free.discard(agent_id)
        return found

    def offers_where(self, *, agent_id: str = "", framework_id: str = "") -> list[Offer]:
        return [
            o
            for o in self.offers.values()
            if (not agent_id or o.agent_id == agent_id)
            and (not framework_id or o.framework_id == framework_id)
        ]

    # ---------------------------------------------------------------- views

    def active_total(self) -> Resources:
        """What connected agents hold in total: the denominator of DRF shares."""
        if self._active_total is None:
            # One Resources for the sum, not one per addition over every agent.
            self._active_total = resources.total(
                a.total for a in self.agents.values() if a.connected
            )
        return self._active_total


def _allocate(
    owners: Mapping[str, Agent] | Mapping[str, Framework], held: Mapping[str, list[Resources]]
) -> None:
    """Adds to each owner's allocation the sum of what its tasks hold."""
    for owner_id, amounts in held.items():
        owner = owners.get(owner_id)
        if owner is not None:
            owner.allocated += resources.total(amounts)
