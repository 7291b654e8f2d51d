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
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter

from master import invariants, reserved
from master.allocator.quota import Quota
from master.cluster import Agent, Framework, Offer, Task, TaskKey
from offer import resources
from offer.resources import Resources
from offer.tasks import TaskState, TaskStatus

# Pruned tasks' keys remembered (about 200 bytes each), for a clear answer
# about a task asked for soon after it was pruned.
PRUNED_REMEMBERED = 10_000


def _nobody(_framework_id: str) -> None:
    pass


class ClusterState:
    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}
        self.frameworks: dict[str, Framework] = {}
        self.tasks: dict[TaskKey, Task] = {}
        self.offers: dict[str, Offer] = {}
        # Tasks by their latest state, kept as they change: counting 100,000
        # tasks at every scrape would cost the loop more than this does.
        self.task_states: Counter[TaskState] = Counter()
        # Framework id -> its ended tasks' keys in the order their ends were
        # forwarded, oldest first (recovered ones in creation order): pruning
        # takes from the front, so its cost is what it prunes, not all that
        # is kept.
        self.ended: defaultdict[str, dict[TaskKey, None]] = defaultdict(dict)
        # Keys of pruned tasks, oldest first -> whether the store has deleted
        # them yet: `find_task` says such a task is no longer kept, and its id
        # is not used again while its rows may still be in the store. At most
        # PRUNED_REMEMBERED are kept, of those already deleted.
        self.pruned: dict[TaskKey, bool] = {}
        # Removed frameworks' ids in the order they were removed, oldest first
        # (recovered ones in registration order): master.history prunes the
        # oldest beyond --max-completed-frameworks.
        self.removed_frameworks: dict[str, None] = {}
        # Told the id of a framework that may have ended tasks to prune (the
        # end of one of its tasks was forwarded, or it acknowledged updates):
        # master.history.
        self.prune_wanted: Callable[[str], None] = _nobody
        # What connected agents hold in total; None: to be summed again.
        self._active_total: Resources | None = None
        # Role -> its quota (master.allocator.quota); roles without one absent.
        self.quotas: dict[str, Quota] = {}
        # What is free on offerable agents in total (no ports), kept as offers
        # and tasks come and go; None: to be summed again (see offerable_free).
        self._offerable_free: Resources | None = None
        # Agents with a reservation (master.reserved), by id.
        self._reserving: set[str] = set()
        # Role -> its unused reservations on offerable agents in total, kept
        # as offers and tasks change; None: to be summed again (see
        # reserved_unused), as _offerable_free.
        self._unused: dict[str, Resources] | None = None

    # --------------------------------------------------------------- agents

    def add_agent(self, agent: Agent) -> None:
        self.agents[agent.agent_id] = agent
        self._active_total = None
        self._offerable_changed()
        self.set_reservations(agent, agent.static_reserved, agent.dynamic_reserved)

    def remove_agent(self, agent_id: str) -> None:
        del self.agents[agent_id]
        self._reserving.discard(agent_id)
        self._active_total = None
        self._offerable_changed()

    def _offerable_changed(self) -> None:
        """An agent came, went or changed whether it may be offered: the sums
        over offerable agents are made again when next asked for."""
        self._offerable_free = self._unused = None

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
        self._offerable_changed()
        if invariants.ENABLED:
            invariants.check_agent(self, agent.agent_id)

    def set_connected(self, agent: Agent, connected: bool) -> None:
        agent.connected = connected
        self._active_total = None
        self._offerable_changed()

    def set_drain_deadline(self, agent: Agent, deadline: float | None) -> None:
        """Drains the agent until `deadline` (None: reactivates it)."""
        agent.drain_deadline = deadline
        self._offerable_changed()

    def set_engine_problem(self, agent: Agent, problem: str) -> None:
        """Why its engine is unreachable; "" once it is fine again."""
        agent.engine_problem = problem
        self._offerable_changed()

    def add_framework(self, fw: Framework) -> None:
        self.frameworks[fw.framework_id] = fw
        if fw.removed:
            self.removed_frameworks[fw.framework_id] = None

    def framework_removed(self, fw: Framework) -> None:
        """The framework was removed (torn down, or its failover timed out)."""
        self.removed_frameworks[fw.framework_id] = None
        self.prune_wanted(fw.framework_id)

    def prune_frameworks(self, keep: int) -> list[str]:
        """Forgets the oldest removed frameworks beyond the newest `keep`, with
        all their tasks, passing over any with a live task still (it ends
        once its agent reports it killed). Returns their ids, for the store.
        A removed framework never acknowledges again: its unacknowledged
        updates go with it."""
        order = self.removed_frameworks
        excess = len(order) - keep
        if excess <= 0:
            return []
        pruned: list[str] = []
        for framework_id in order:
            if len(pruned) == excess:
                break
            fw = self.frameworks[framework_id]
            if all(not self.tasks[key].is_live for key in fw.tasks):
                pruned.append(framework_id)
        for framework_id in pruned:
            del order[framework_id]
            fw = self.frameworks.pop(framework_id)
            for key in fw.tasks:
                task = self.tasks.pop(key)
                self.task_states[task.status.state] -= 1
                if (agent := self.agents.get(task.agent_id)) is not None:
                    agent.tasks.discard(key)
            self.ended.pop(framework_id, None)
        return pruned

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
            if not task.is_live:
                self.ended[task.framework_id][key] = None
            if (fw := self.frameworks.get(task.framework_id)) is not None:
                fw.tasks.add(key)
            if (agent := self.agents.get(task.agent_id)) is not None:
                agent.tasks.add(key)
            if task.is_live and task.revocable:
                # Checked with the rest below, once all are added.
                self._lend(agent, fw, task.resources, 1, held=True, check=False)
                by_agent.setdefault(task.agent_id, [])
                by_framework.setdefault(task.framework_id, [])
            elif task.is_live:
                by_framework[task.framework_id].append(task.resources)
                by_agent[task.agent_id].append(task.resources)
                if agent is not None and agent.reserved and fw is not None:
                    self._hold(agent, fw.role, task.resources)
        _allocate(self.frameworks, by_framework)
        taken = _allocate(self.agents, by_agent)
        for agent_id, amount in taken.items():
            self._free_shrinks(self.agents[agent_id], amount)
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
        if was_live and not task.is_live and task.revocable:
            self._lend(
                self.agents[task.agent_id],
                self.frameworks[task.framework_id],
                task.resources,
                -1,
                held=True,
            )
            task.seen_updates.clear()
            return True
        if was_live and not task.is_live:
            agent = self.agents[task.agent_id]
            agent.allocated -= task.resources
            fw = self.frameworks[task.framework_id]
            fw.allocated -= task.resources
            if agent.reserved:
                self._hold(agent, fw.role, task.resources, -1)
            self._free_grows(agent, task.resources)
            task.seen_updates.clear()  # nothing is accepted after a terminal state
            if invariants.ENABLED:
                invariants.check_agent(self, task.agent_id)
                invariants.check_framework(self, task.framework_id)
            return True
        return False

    def end_forwarded(self, task: Task) -> None:
        """The task's end is durable and forwarded to its framework (whose
        acknowledgement it now awaits): only from now may it be pruned, so
        that no update in flight outlives its task."""
        if task.key in self.tasks and not task.is_live:
            self.ended[task.framework_id][task.key] = None
            self.prune_wanted(task.framework_id)

    def prune_ended(
        self, framework_id: str, keep: int, prunable: Callable[[Task], bool]
    ) -> list[TaskKey]:
        """Forgets the framework's oldest ended tasks beyond the newest `keep`,
        passing over those not `prunable` (an update not yet acknowledged):
        they stay, counted among the kept. Returns the keys forgotten, for
        the store to delete. Walks only the excess and what it passes over."""
        ended = self.ended.get(framework_id)
        if not ended or len(ended) <= keep:
            return []
        excess = len(ended) - keep
        pruned: list[TaskKey] = []
        for key in ended:
            if len(pruned) == excess:
                break
            if prunable(self.tasks[key]):
                pruned.append(key)
        for key in pruned:
            del ended[key]
            task = self.tasks.pop(key)
            self.task_states[task.status.state] -= 1
            if (fw := self.frameworks.get(task.framework_id)) is not None:
                fw.tasks.discard(key)
            if (agent := self.agents.get(task.agent_id)) is not None:
                agent.tasks.discard(key)
            self.pruned[key] = False
        if not ended:
            del self.ended[framework_id]
        return pruned

    def pruned_deleted(self, keys: Iterable[TaskKey]) -> None:
        """The store deleted these pruned tasks: their ids may be used again
        once PRUNED_REMEMBERED newer ones were pruned."""
        pruned = self.pruned
        for key in keys:
            if key in pruned:
                pruned[key] = True
        while len(pruned) > PRUNED_REMEMBERED:
            oldest = next(iter(pruned))
            if not pruned[oldest]:
                break  # deleted in order: nothing after it is deleted either
            del pruned[oldest]

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
        agent = self.agents[offer.agent_id]
        agent.offered += offer.resources
        fw = self.frameworks[offer.framework_id]
        fw.offered += offer.resources
        if not offer.revocable.is_empty():
            self._lend(agent, fw, offer.revocable, 1, held=False)
        if agent.reserved:
            self._hold(agent, fw.role, offer.resources)
        self._free_shrinks(agent, offer.resources)
        if invariants.ENABLED:
            invariants.check_agent(self, offer.agent_id)
            invariants.check_framework(self, offer.framework_id)

    def remove_offer(self, offer: Offer) -> None:
        """Its resources are free again (the caller asks for an allocation)."""
        del self.offers[offer.offer_id]
        agent = self.agents[offer.agent_id]
        agent.offered -= offer.resources
        fw = self.frameworks[offer.framework_id]
        fw.offered -= offer.resources
        if not offer.revocable.is_empty():
            self._lend(agent, fw, offer.revocable, -1, held=False)
        if agent.reserved:
            self._hold(agent, fw.role, offer.resources, -1)
        self._free_grows(agent, offer.resources)
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

    # ------------------------------------------------------------ revocable

    def set_slack(self, agent: Agent, slack: Resources) -> None:
        """The agent's latest slack estimate (cpus and mem only)."""
        agent.slack = Resources(max(0.0, slack.cpus), max(0.0, slack.mem))

    def _lend(
        self,
        agent: Agent | None,
        fw: Framework | None,
        amount: Resources,
        sign: int,
        held: bool,
        check: bool = True,
    ) -> None:
        """A revocable task (`held`) or an offer's revocable part comes (sign 1)
        or goes (-1): counted apart from allocations, so in no free amount,
        share or quota."""
        change = amount.without_ports()
        if agent is not None:
            if held:
                agent.revocable_held = _moved(agent.revocable_held, change, sign)
            else:
                agent.revocable_offered = _moved(agent.revocable_offered, change, sign)
            if invariants.ENABLED and check:
                invariants.check_agent(self, agent.agent_id)
        if fw is not None:
            fw.revocable = _moved(fw.revocable, change, sign)
            if invariants.ENABLED and check:
                invariants.check_framework(self, fw.framework_id)

    # ---------------------------------------------------------------- quota

    def set_quota(self, role: str, quota: Quota | None) -> None:
        """Sets a role's quota; None (or an empty quota) removes it."""
        if quota is None or quota.is_empty():
            self.quotas.pop(role, None)
        else:
            self.quotas[role] = quota

    def role_consumption(self) -> dict[str, Resources]:
        """Role -> what its frameworks hold (live tasks and outstanding offers),
        connected or not, plus its unused reservations on offerable agents:
        what quota counts (as Mesos, a reservation counts whether used or
        not). A pass over frameworks, which are few next to agents."""
        held: defaultdict[str, list[Resources]] = defaultdict(list)
        for fw in self.frameworks.values():
            held[fw.role] += (fw.allocated, fw.offered)
        for role, amount in self.reserved_unused().items():
            held[role].append(amount)
        return {role: resources.total(a).without_ports() for role, a in held.items()}

    # --------------------------------------------------------- reservations

    def set_reservations(
        self,
        agent: Agent,
        static: dict[str, Resources] | None = None,
        dynamic: dict[str, Resources] | None = None,
    ) -> None:
        """Sets the agent's static or dynamic reservations (None: as they
        are), and what each reserving role holds there (a pass over its
        tasks and offers: reservations change seldom)."""
        if static is not None:
            agent.static_reserved = {r: a for r, a in static.items() if not a.is_empty()}
        if dynamic is not None:
            agent.dynamic_reserved = {r: a for r, a in dynamic.items() if not a.is_empty()}
        agent.reserved = reserved.summed([agent.static_reserved, agent.dynamic_reserved])
        held: defaultdict[str, list[Resources]] = defaultdict(list)
        if agent.reserved:
            self._reserving.add(agent.agent_id)
            roles = {fid: fw.role for fid, fw in self.frameworks.items()}
            for key in agent.tasks:
                task = self.tasks[key]
                if task.is_live and roles.get(task.framework_id) in agent.reserved:
                    held[roles[task.framework_id]].append(task.resources)
            for offer in self.offers_where(agent_id=agent.agent_id):
                if roles.get(offer.framework_id) in agent.reserved:
                    held[roles[offer.framework_id]].append(offer.resources)
        else:
            self._reserving.discard(agent.agent_id)
        agent.held = {
            role: resources.total(held.get(role, ())).without_ports() for role in agent.reserved
        }
        self._unused = None
        if invariants.ENABLED:
            invariants.check_agent(self, agent.agent_id)

    def reserved_unused(self) -> dict[str, Resources]:
        """Role -> what is reserved for it on offerable agents and not held by
        its tasks and offers: part of its quota consumption, and of no use to
        other roles (so not part of the headroom they may take). Kept as
        offers and tasks change; summed again over the reserving agents only
        after an agent comes, goes or changes state."""
        if self._unused is None:
            unused: defaultdict[str, list[Resources]] = defaultdict(list)
            for agent_id in self._reserving:
                agent = self.agents[agent_id]
                if _offerable(agent):
                    for role in agent.reserved:
                        unused[role].append(reserved.unused(agent, role))
            self._unused = {role: resources.total(a) for role, a in unused.items()}
        return self._unused

    def offerable_unreserved_free(self) -> Resources:
        """What is free and unreserved on offerable agents, in total (no
        ports): what quota's headroom is held back from."""
        free = self.offerable_free()
        unused = self.reserved_unused()
        return free - resources.total(unused.values()) if unused else free

    def _hold(self, agent: Agent, role: str, amount: Resources, sign: int = 1) -> None:
        """The role's tasks and offers on the agent hold `amount` more (sign
        -1: less); a role without a reservation there is not counted."""
        before = agent.held.get(role)
        if before is None:
            return
        was = reserved.unused(agent, role)
        change = amount.without_ports()
        agent.held[role] = before + change if sign > 0 else before - change
        if self._unused is not None and _offerable(agent):
            self._unused[role] = self._unused.get(role, Resources()) + (
                reserved.unused(agent, role) - was
            )
            if invariants.ENABLED:
                invariants.check_reserved_unused(self)

    def offerable_free(self) -> Resources:
        """What is free (neither used by tasks nor offered) on agents that may
        be offered (connected, not draining, engine fine), in total and without
        ports: what quota's headroom is held back from. Kept as offers and tasks
        change, so that a cycle does not sum 10,000 agents; summed again only
        after an agent comes, goes or changes state."""
        if self._offerable_free is None:
            self._offerable_free = resources.total(
                a.free for a in self.agents.values() if _offerable(a)
            ).without_ports()
        return self._offerable_free

    def _free_shrinks(self, agent: Agent, amount: Resources) -> None:
        if self._offerable_free is not None and _offerable(agent):
            self._offerable_free = self._offerable_free - amount.without_ports()
            if invariants.ENABLED:
                invariants.check_offerable_free(self)

    def _free_grows(self, agent: Agent, amount: Resources) -> None:
        if self._offerable_free is not None and _offerable(agent):
            self._offerable_free = self._offerable_free + amount.without_ports()
            if invariants.ENABLED:
                invariants.check_offerable_free(self)

    # ---------------------------------------------------------------- views

    def active_total(self) -> Resources:
        """What connected agents hold in total: the denominator of DRF shares."""
        if self._active_total is None:
            # One Resources for the sum, not one per addition over every agent.
            self._active_total = resources.total(
                a.total for a in self.agents.values() if a.connected
            )
        return self._active_total


def _offerable(agent: Agent) -> bool:
    """Whether the allocator may offer what is free on it."""
    return agent.connected and agent.drain_deadline is None and not agent.engine_problem


def _moved(amount: Resources, change: Resources, sign: int) -> Resources:
    return amount + change if sign > 0 else amount - change


def _allocate(
    owners: Mapping[str, Agent] | Mapping[str, Framework], held: Mapping[str, list[Resources]]
) -> dict[str, Resources]:
    """Adds to each owner's allocation the sum of what its tasks hold;
    returns those sums by known owner."""
    added = {}
    for owner_id, amounts in held.items():
        owner = owners.get(owner_id)
        if owner is not None:
            added[owner_id] = amount = resources.total(amounts)
            owner.allocated += amount
    return added
