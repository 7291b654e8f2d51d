"""Hierarchical allocation: agents -> roles (weighted DRF) -> frameworks (DRF).

As in Mesos's hierarchical allocator, an agent's free amount goes to the
first framework, in role then framework order, that is neither suppressed
nor filtered from that agent; the allocation is recorded at once, so the
next agent sees the updated shares. Without quotas that framework takes
the whole agent.

With quotas (master.allocator.quota) a cycle has Mesos's two stages. First,
roles owed part of their guarantee are offered, agent by agent, what they
are owed (and no more of a guaranteed kind). Then everyone is served as
above, each offer cut to its role's limit and to what the cluster must keep
free for roles still owed (master.allocator.ledger): an agent may then be
cut into several offers, to several frameworks. An agent's free ports go
whole with the first offer cut from it in a cycle: a port range cut in
pieces would serve no port-publishing task better, and the first offer is
the guaranteed role's when there is one.

Reservations (master.reserved): an agent's free part reserved for a role
goes to frameworks of that role only, never to another, whatever DRF or
quota says. An offer to a role carries the role's free reservation on the
agent with whatever it is given of the unreserved part; a reservation
left over once the unreserved part is given goes, alone, to the first
framework of its role that takes it. The reserved part is already counted
in the role's quota consumption, so it is cut neither to the role's limit
nor to the headroom: only the unreserved part is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from master.allocator.ledger import QuotaLedger
from master.allocator.quota import Quota
from master.allocator.sorter import DRFSorter, Sorter
from offer.resources import MIN_TASK_MEM, Resources

# Offers smaller than this are useless to any task, so they are not made.
MIN_OFFER_CPUS = 0.01
_NOTHING = Resources()


@dataclass(frozen=True, slots=True)
class AgentSlot:
    """An agent's resources that are neither used by tasks nor offered."""

    agent_id: str
    # Its unreserved free part, ports included.
    available: Resources
    # (role, amount): the free part of each role's reservation, offered to
    # that role's frameworks only. No ports.
    reserved: tuple[tuple[str, Resources], ...] = ()


@dataclass(frozen=True, slots=True)
class FrameworkDemand:
    """A framework that may receive offers, and what it already holds."""

    framework_id: str
    role: str
    # Resources of its live tasks plus its outstanding offers.
    allocated: Resources
    suppressed: bool = False
    # When it was last made an offer: among equal shares, longest-waiting first.
    last_offered: float = 0.0


@dataclass(frozen=True, slots=True)
class AllocationInput:
    agents: Sequence[AgentSlot]
    frameworks: Sequence[FrameworkDemand]
    # The cluster's total, the denominator of every share.
    total: Resources
    now: float
    # Role -> weight; roles not named weigh 1.
    weights: Mapping[str, float] = field(default_factory=dict)
    # (framework_id, agent_id) -> (until, amount): before `until`, that agent
    # is not offered to that framework unless more than `amount` is free.
    refusals: Mapping[tuple[str, str], tuple[float, Resources]] = field(default_factory=dict)
    # Role -> its quota; roles not named have none.
    quotas: Mapping[str, Quota] = field(default_factory=dict)
    # Role -> what it holds (live tasks and outstanding offers of all its
    # frameworks, connected or not, and its unused reservations). Needed for
    # roles with a quota only; a role not named holds nothing.
    consumption: Mapping[str, Resources] = field(default_factory=dict)
    # What is free and unreserved on every offerable agent of the cluster,
    # not only on `agents` (a cycle looks at a few): the headroom is held
    # back from it. None: what `agents` have free and unreserved.
    available: Resources | None = None


@dataclass(frozen=True, slots=True)
class OfferPlan:
    framework_id: str
    agent_id: str
    # The whole offer, its reserved part included.
    resources: Resources
    # The part of `resources` reserved for the framework's role.
    reserved: Resources = _NOTHING


def is_allocatable(amount: Resources) -> bool:
    return amount.cpus >= MIN_OFFER_CPUS and amount.mem >= MIN_TASK_MEM


def allocate(
    view: AllocationInput,
    make_sorter: Callable[[Resources], Sorter] = DRFSorter,
) -> list[OfferPlan]:
    """Returns the offers to make: without quotas at most one per agent, with
    them at most one per agent and framework."""
    role_sorter = make_sorter(view.total)
    framework_sorters: dict[str, Sorter] = {}
    eligible: dict[str, list[str]] = {}
    for fw in view.frameworks:
        role_sorter.add(fw.role, fw.allocated, view.weights.get(fw.role, 1.0), fw.last_offered)
        if fw.role not in framework_sorters:
            framework_sorters[fw.role] = make_sorter(view.total)
        framework_sorters[fw.role].add(fw.framework_id, fw.allocated, 1.0, fw.last_offered)
        if not fw.suppressed:
            eligible.setdefault(fw.role, []).append(fw.framework_id)
    wanting = {fid for ids in eligible.values() for fid in ids}
    if not wanting:
        return []
    if not view.quotas:
        return _whole_agents(view, role_sorter, framework_sorters, wanting)
    cycle = _Cycle(view, role_sorter, framework_sorters, wanting)
    cycle.ledger = QuotaLedger(
        view.quotas,
        view.consumption,
        view.available if view.available is not None else _free_of(view.agents),
    )
    cycle.serve_guarantees()
    cycle.serve_all()
    return cycle.plans()


def _whole_agents(
    view: AllocationInput,
    role_sorter: Sorter,
    framework_sorters: Mapping[str, Sorter],
    wanting: set[str],
) -> list[OfferPlan]:
    """Without quotas: each agent whole to its first taker. Kept apart from
    `_Cycle`, whose bookkeeping of cut agents costs a cycle over 10,000
    agents a fifth to a half more when nothing is cut (see docs/quota.md)."""
    plans: list[OfferPlan] = []
    for agent in view.agents:
        if agent.reserved:
            plans += _split_reserved(view, agent, role_sorter, framework_sorters, wanting)
            continue
        if not is_allocatable(agent.available):
            continue
        for role in role_sorter.sorted():
            chosen = _framework_taking(
                view, framework_sorters[role], wanting, agent.agent_id, agent.available
            )
            if chosen is not None:
                role_sorter.allocate(role, agent.available)
                framework_sorters[role].allocate(chosen, agent.available)
                plans.append(OfferPlan(chosen, agent.agent_id, agent.available))
                break
    return plans


def _split_reserved(
    view: AllocationInput,
    agent: AgentSlot,
    role_sorter: Sorter,
    framework_sorters: Mapping[str, Sorter],
    wanting: set[str],
) -> list[OfferPlan]:
    """Without quotas, an agent with reservations: its unreserved part, with
    the taker's own reservation, to the first taker; each other role's
    reservation to the first framework of that role that takes it."""
    left = dict(agent.reserved)
    plans = []
    for role in role_sorter.sorted():
        own = left.get(role)
        amount = agent.available if own is None else agent.available + own
        if not is_allocatable(amount):
            continue
        chosen = _framework_taking(view, framework_sorters[role], wanting, agent.agent_id, amount)
        if chosen is not None:
            role_sorter.allocate(role, amount)
            framework_sorters[role].allocate(chosen, amount)
            plans.append(OfferPlan(chosen, agent.agent_id, amount, own or _NOTHING))
            left.pop(role, None)
            break
    for role, own in left.items():
        sorter = framework_sorters.get(role)
        if sorter is None or not is_allocatable(own):
            continue
        chosen = _framework_taking(view, sorter, wanting, agent.agent_id, own)
        if chosen is not None:
            role_sorter.allocate(role, own)
            sorter.allocate(chosen, own)
            plans.append(OfferPlan(chosen, agent.agent_id, own, own))
    return plans


def _framework_taking(
    view: AllocationInput, sorter: Sorter, wanting: set[str], agent_id: str, amount: Resources
) -> str | None:
    """The first framework, in the role's order, that wants `amount` of the agent."""
    for framework_id in sorter.sorted():
        if framework_id in wanting and not _refused(view, framework_id, agent_id, amount):
            return framework_id
    return None


class _Cycle:
    """One cycle with quotas, its offers as they are made: what is left free
    on each agent, and the plans so far, by framework and agent."""

    def __init__(
        self,
        view: AllocationInput,
        role_sorter: Sorter,
        framework_sorters: Mapping[str, Sorter],
        wanting: set[str],
    ) -> None:
        self._view = view
        self._roles = role_sorter
        self._frameworks = framework_sorters
        self._wanting = wanting
        self.ledger: QuotaLedger | None = None
        # Unreserved free, by agent.
        self._free = {a.agent_id: a.available for a in view.agents}
        # Agent -> role -> the free part of its reservation not offered yet.
        self._reserved = {a.agent_id: dict(a.reserved) for a in view.agents if a.reserved}
        # (framework, agent) -> (the offer, its reserved part).
        self._planned: dict[tuple[str, str], tuple[Resources, Resources]] = {}

    def serve_guarantees(self) -> None:
        """Stage one: roles owed part of their guarantee, agent by agent, in
        role order, each offered what it is owed of each agent in turn."""
        ledger = self.ledger
        assert ledger is not None
        for agent in self._view.agents:
            if not is_allocatable(agent.available) and not agent.reserved:
                continue
            owed_roles = [r for r in self._roles.sorted() if ledger.is_owed(r)]
            if not owed_roles:
                return  # nobody with a framework is owed anything any more
            for role in owed_roles:
                part = ledger.guaranteed_part(role, self._free[agent.agent_id])
                self._offer_to(role, agent, part)

    def serve_all(self) -> None:
        """Stage two: each agent to the first taker in role order, cut to
        its role's limit and the headroom; what is left to the next."""
        free_of = self._free
        for agent in self._view.agents:
            # Each offer leaves the next taker a role whose limit or headroom
            # it reached: no more offers than roles.
            for _ in range(len(self._frameworks) + 1):
                free = free_of[agent.agent_id]
                if not is_allocatable(free):
                    break
                if not self._first_taker(agent, free):
                    break
            left = self._reserved.get(agent.agent_id)
            for role in list(left or ()):
                if role in self._frameworks:
                    self._offer_to(role, agent, None)

    def plans(self) -> list[OfferPlan]:
        return [
            OfferPlan(fid, aid, amount, reserved)
            for (fid, aid), (amount, reserved) in self._planned.items()
        ]

    def _first_taker(self, agent: AgentSlot, free: Resources) -> bool:
        """Offers `free` (cut) to the first role that takes it; False if none does."""
        ledger = self.ledger
        assert ledger is not None
        # Every role without a quota may be offered the same: made once.
        unquoted = ledger.grant_without_quota(free)
        for role in self._roles.sorted():
            amount = unquoted if role not in self._view.quotas else ledger.grant(role, free)
            if self._offer_to(role, agent, amount):
                return True
        return False

    def _offer_to(self, role: str, agent: AgentSlot, part: Resources | None) -> bool:
        """Offers the role `part` of the agent's unreserved free (None: none)
        with its own reservation there, to the role's first framework taking
        it; False if there is nothing worth offering or no taker."""
        left = self._reserved.get(agent.agent_id)
        own = left.get(role) if left is not None else None
        if part is None and own is None:
            return False
        part = _NOTHING if part is None else self._with_ports(agent, part)
        amount = part if own is None else part + own
        if not is_allocatable(amount):
            return False
        framework_id = self._taker(role, agent.agent_id, amount)
        if framework_id is None:
            return False
        self._give(role, framework_id, agent.agent_id, part, own)
        return True

    def _taker(self, role: str, agent_id: str, amount: Resources) -> str | None:
        return _framework_taking(
            self._view, self._frameworks[role], self._wanting, agent_id, amount
        )

    def _with_ports(self, agent: AgentSlot, amount: Resources) -> Resources:
        """`amount` with the agent's ports if no offer was cut from it yet."""
        if agent.available.ports and self._free[agent.agent_id] is agent.available:
            return Resources(amount.cpus, amount.mem, amount.disk, agent.available.ports)
        return amount

    def _give(
        self, role: str, framework_id: str, agent_id: str, part: Resources, own: Resources | None
    ) -> None:
        """Records an offer of `part` of the unreserved free and `own` of the
        role's reservation: only `part` changes the quota ledger (a
        reservation is counted in its role's consumption already)."""
        amount = part if own is None else part + own
        self._roles.allocate(role, amount)
        self._frameworks[role].allocate(framework_id, amount)
        assert self.ledger is not None
        self.ledger.record(role, part)
        self._free[agent_id] = self._free[agent_id] - part
        reserved = _NOTHING
        if own is not None:
            del self._reserved[agent_id][role]
            reserved = own
        key = (framework_id, agent_id)
        before = self._planned.get(key)
        self._planned[key] = (
            (amount, reserved) if before is None else (before[0] + amount, before[1] + reserved)
        )


def _free_of(agents: Sequence[AgentSlot]) -> Resources:
    cpus = mem = disk = 0.0
    for a in agents:
        cpus, mem, disk = cpus + a.available.cpus, mem + a.available.mem, disk + a.available.disk
    return Resources(round(cpus, 3), round(mem, 3), round(disk, 3))


def _refused(view: AllocationInput, framework_id: str, agent_id: str, amount: Resources) -> bool:
    refusal = view.refusals.get((framework_id, agent_id))
    if refusal is None:
        return False
    until, refused = refusal
    return until > view.now and refused.contains(amount)
