"""The master's in-memory state and its bookkeeping.

Pure: no I/O, no asyncio. Its methods keep the numbers adding up (an
agent's `allocated` is the sum of its live tasks, `offered` the sum of its
outstanding offers, and while anything is offered the two fit in its total;
the same sums per framework) and check that they do when
OFFER_CHECK_INVARIANTS=1 (`master.invariants`). The core decides *when*
to change things; this module knows *how*.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from operator import itemgetter

from master import invariants
from master.cluster import Agent, Framework, Offer, Task, TaskKey
from offer import resources
from offer.resources import Resources
from offer.tasks import TaskState, TaskStatus


class ClusterState:
    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}
        self.frameworks: dict[str, Framework] = {}
        self.tasks: dict[TaskKey, Task] = {}
        self.offers: dict[str, Offer] = {}
        # Tasks by their latest state, kept as they change: counting 100,000
        # tasks at every scrape would cost the loop more than this does.
        self.task_states: Counter[TaskState] = Counter()
        # What connected agents hold in total; None: to be summed again.
        self._active_total: Resources | None = None

    # --------------------------------------------------------------- agents

    def add_agent(self, agent: Agent) -> None:
        self.agents[agent.agent_id] = agent
        self._active_total = None

    def describe_agent(
        self,
        agent: Agent,
        hostname: str,
        total: Resources,
        attributes: dict[str, str],
        address: str = "",
    ) -> None:
        """An agent (re-)registered: it is as it says now, and not lost."""
        agent.hostname, agent.total, agent.attributes = hostname, total, attributes
        agent.address = address
        agent.lost, agent.engine_problem = False, ""
        self._active_total = None
        if invariants.ENABLED:
            invariants.check_agent(self, agent.agent_id)

    def set_connected(self, agent: Agent, connected: bool) -> None:
        agent.connected = connected
        self._active_total = None

    def add_framework(self, fw: Framework) -> None:
        self.frameworks[fw.framework_id] = fw

    # ---------------------------------------------------------------- tasks

    def add_task(self, task: Task) -> None:
        self.add_tasks([task])

    def add_tasks(self, tasks: Iterable[Task]) -> None:
        """Adds tasks (a recovery adds hundreds of thousands): each agent's and
        framework's allocation grows once by the sum of its live tasks, not
        once per task."""
        by_framework: defaultdict[str, list[Resources]] = defaultdict(list)
        by_agent: defaultdict[str, list[Resources]] = defaultdict(list)
        states = self.task_states
        for task in tasks:
            key = task.key
            self.tasks[key] = task
            states[task.status.state] += 1
            if (fw := self.frameworks.get(task.framework_id)) is not None:
                fw.tasks.add(key)
            if (agent := self.agents.get(task.agent_id)) is not None:
                agent.tasks.add(key)
            if task.is_live:
                by_framework[task.framework_id].append(task.resources)
                by_agent[task.agent_id].append(task.resources)
        _allocate(self.frameworks, by_framework)
        _allocate(self.agents, by_agent)
        if invariants.ENABLED:
            for agent_id in by_agent:
                invariants.check_agent(self, agent_id)
            for framework_id in by_framework:
                invariants.check_framework(self, framework_id)

    def set_status(self, task: Task, status: TaskStatus) -> bool:
        """Records a task's new status; True if it ended, freeing its resources
        (its agent is then worth an allocation: the caller asks for one)."""
        was_live = task.is_live
        self.task_states[task.status.state] -= 1
        self.task_states[status.state] += 1
        task.record(status)
        task.seen_updates.add(status.uuid)
        if was_live and not task.is_live:
            self.agents[task.agent_id].allocated -= task.resources
            self.frameworks[task.framework_id].allocated -= task.resources
            task.seen_updates.clear()  # nothing is accepted after a terminal state
            if invariants.ENABLED:
                invariants.check_agent(self, task.agent_id)
                invariants.check_framework(self, task.framework_id)
            return True
        return False

    def live_tasks_on(self, agent: Agent) -> list[Task]:
        return [self.tasks[k] for k in sorted(agent.tasks) if self.tasks[k].is_live]

    def live_task_count(self, fw: Framework) -> int:
        tasks = self.tasks
        return sum(1 for k in fw.tasks if tasks[k].is_live)

    def live_tasks_of(self, fw: Framework) -> list[Task]:
        # Sorted by task id alone: its keys all start with its framework id,
        # which comparing whole keys would compare for nothing, 10,000s of
        # times (bench/profiling.md, note 8).
        keys = sorted(fw.tasks, key=itemgetter(1))
        return [self.tasks[k] for k in keys if self.tasks[k].is_live]

    # --------------------------------------------------------------- offers

    def add_offer(self, offer: Offer) -> None:
        self.offers[offer.offer_id] = offer
        self.agents[offer.agent_id].offered += offer.resources
        self.frameworks[offer.framework_id].offered += offer.resources
        if invariants.ENABLED:
            invariants.check_agent(self, offer.agent_id)
            invariants.check_framework(self, offer.framework_id)

    def remove_offer(self, offer: Offer) -> None:
        """Its resources are free again (the caller asks for an allocation)."""
        del self.offers[offer.offer_id]
        self.agents[offer.agent_id].offered -= offer.resources
        self.frameworks[offer.framework_id].offered -= offer.resources
        if invariants.ENABLED:
            invariants.check_agent(self, offer.agent_id)
            invariants.check_framework(self, offer.framework_id)

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
