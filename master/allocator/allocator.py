"""Hierarchical allocation: agents -> roles (weighted DRF) -> frameworks (DRF).

As in Mesos's hierarchical allocator, each agent's whole free amount goes to
one framework per cycle: the first, in role then framework order, that is
neither suppressed nor filtered from that agent. The allocation is recorded
at once, so the next agent sees the updated shares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from master.allocator.sorter import DRFSorter, Sorter
from offer.resources import MIN_TASK_MEM, Resources

# Offers smaller than this are useless to any task, so they are not made.
MIN_OFFER_CPUS = 0.01


@dataclass(frozen=True, slots=True)
class AgentSlot:
    """An agent's resources that are neither used by tasks nor offered."""

    agent_id: str
    available: Resources


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


@dataclass(frozen=True, slots=True)
class OfferPlan:
    framework_id: str
    agent_id: str
    resources: Resources


def is_allocatable(amount: Resources) -> bool:
    return amount.cpus >= MIN_OFFER_CPUS and amount.mem >= MIN_TASK_MEM


def allocate(
    view: AllocationInput,
    make_sorter: Callable[[Resources], Sorter] = DRFSorter,
) -> list[OfferPlan]:
    """Returns the offers to make, at most one per agent."""
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

    plans: list[OfferPlan] = []
    for agent in view.agents:
        if not is_allocatable(agent.available):
            continue
        chosen = _first_taker(view, role_sorter, framework_sorters, wanting, agent)
        if chosen is None:
            continue
        role, framework_id = chosen
        role_sorter.allocate(role, agent.available)
        framework_sorters[role].allocate(framework_id, agent.available)
        plans.append(OfferPlan(framework_id, agent.agent_id, agent.available))
    return plans


def _first_taker(
    view: AllocationInput,
    role_sorter: Sorter,
    framework_sorters: Mapping[str, Sorter],
    wanting: set[str],
    agent: AgentSlot,
) -> tuple[str, str] | None:
    for role in role_sorter.sorted():
        for framework_id in framework_sorters[role].sorted():
            if framework_id in wanting and not _refused(view, framework_id, agent):
                return role, framework_id
    return None


def _refused(view: AllocationInput, framework_id: str, agent: AgentSlot) -> bool:
    refusal = view.refusals.get((framework_id, agent.agent_id))
    if refusal is None:
        return False
    until, amount = refusal
    return until > view.now and amount.contains(agent.available)
