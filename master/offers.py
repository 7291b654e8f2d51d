"""One allocation cycle over the master's state: which agents are worth
looking at, which offers to make, and which to take back for a newcomer.
Pure (no I/O); `master.allocation` runs it and the offer book sends them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from master import reserved
from master.allocator import (
    AgentSlot,
    AllocationInput,
    FrameworkDemand,
    allocate,
    is_allocatable,
)
from master.allocator.revocable import (
    RevocableDemand,
    RevocableInput,
    RevocablePlan,
    RevocableSlot,
    allocate_revocable,
)
from master.cluster import Agent, Framework, Offer
from master.state import ClusterState
from offer.resources import Resources

_NOTHING = Resources()


def offerable_agents(state: ClusterState, candidates: set[str]) -> list[Agent]:
    """The candidates that are connected, neither draining nor without their
    engine, and have a free amount worth offering. The others are dropped
    from `candidates` until a change makes them candidates again."""
    found = []
    for agent_id in list(candidates):
        agent = state.agents.get(agent_id)
        if agent is not None and _offerable(agent) and is_allocatable(agent.free):
            found.append(agent)
        else:
            candidates.discard(agent_id)
    return found


def make_offers(
    state: ClusterState,
    candidates: set[str],
    weights: Mapping[str, float],
    now: float,
    new_id: Callable[[], str],
    lending: set[str] | None = None,
) -> dict[str, list[Offer]]:
    """Runs the allocator on the offerable candidates and the connected
    frameworks, records the offers it plans in `state`, and returns them per
    framework. An agent stays a candidate until a cycle finds nothing free on
    it: one whose free amount is held back for a guaranteed role (quota) is
    looked at again each cycle, so that the role's framework gets it as soon
    as it comes. Then the slack of the agents in `lending` is lent
    (master.allocator.revocable): a framework's revocable part on an agent
    rides with its ordinary offer there, or makes an offer whose ordinary
    part is empty."""
    frameworks = [f for f in state.frameworks.values() if f.connected]
    quotas = state.quotas
    plans = allocate(
        AllocationInput(
            agents=[_slot(a) for a in offerable_agents(state, candidates)],
            frameworks=[
                FrameworkDemand(
                    f.framework_id, f.role, f.allocated + f.offered, f.suppressed, f.last_offered
                )
                for f in frameworks
            ],
            total=state.active_total(),
            now=now,
            weights=weights,
            refusals=_Refusals(state.frameworks),
            quotas=quotas,
            # Both only matter with quotas: a pass over frameworks, and a sum
            # kept as offers and tasks change (not a pass over agents).
            consumption=state.role_consumption() if quotas else {},
            available=state.offerable_unreserved_free() if quotas else None,
        )
    )
    lending = set() if lending is None else lending
    lent = {
        (p.framework_id, p.agent_id): p.revocable
        for p in _revocable_plans(state, lending, frameworks, now)
    }
    made: dict[str, list[Offer]] = {}

    def offer(framework_id: str, agent: Agent, plain: Resources, part: Resources) -> None:
        made_one = Offer(
            new_id(),
            framework_id,
            agent.agent_id,
            agent.hostname,
            plain,
            now,
            tuple(sorted(agent.attributes.items())),
            agent.address,
            part,
            lent.pop((framework_id, agent.agent_id), _NOTHING),
        )
        state.add_offer(made_one)
        made.setdefault(framework_id, []).append(made_one)

    for plan in plans:
        offer(plan.framework_id, state.agents[plan.agent_id], plan.resources, plan.reserved)
    # Revocable parts for which no ordinary offer was made: offers of their own.
    for framework_id, agent_id in list(lent):
        offer(framework_id, state.agents[agent_id], _NOTHING, _NOTHING)
    for fid in made:
        state.frameworks[fid].last_offered = now
    return made


def _revocable_plans(
    state: ClusterState, lending: set[str], frameworks: list[Framework], now: float
) -> list[RevocablePlan]:
    """The allocation of the agents' slack among frameworks accepting it, run
    after the main one (it takes nothing from it). `lending` holds the agents
    whose lendable amount may have grown; one with nothing to lend, or not
    offerable, is dropped from it until its slack grows or a loan ends."""
    takers = [f for f in frameworks if f.accepts_revocable]
    if not takers:
        # Nobody to lend to: the agents' next usage reports say again what
        # they could lend, once somebody accepts it.
        lending.clear()
        return []
    slots = []
    for agent_id in list(lending):
        agent = state.agents.get(agent_id)
        slot = None
        if agent is not None and _offerable(agent):
            slot = RevocableSlot(
                agent_id, agent.slack, agent.revocable_held, agent.revocable_offered
            )
        if slot is None or not is_allocatable(slot.lendable):
            lending.discard(agent_id)
        else:
            slots.append(slot)
    return allocate_revocable(
        RevocableInput(
            slots,
            [
                RevocableDemand(f.framework_id, f.revocable, f.suppressed, f.last_offered)
                for f in takers
            ],
            now,
            _Refusals(state.frameworks, revocable=True),
        )
    )


def _offerable(agent: Agent) -> bool:
    return agent.connected and agent.drain_deadline is None and not agent.engine_problem


def _slot(agent: Agent) -> AgentSlot:
    if not agent.reserved:
        return AgentSlot(agent.agent_id, agent.free)
    unreserved, reserved_free = reserved.pools(agent)
    return AgentSlot(agent.agent_id, unreserved, reserved_free)


class _Refusals(Mapping[tuple[str, str], tuple[float, Resources]]):
    """Every framework's refusals, looked up where they are kept: a cycle
    must cost what its candidate agents cost, not what all refusals do (see
    bench/profiling.md, note 11). Expired ones are ignored by the allocator
    and dropped by `forget_expired_refusals`."""

    def __init__(self, frameworks: Mapping[str, Framework], revocable: bool = False) -> None:
        self._frameworks = frameworks
        # Refusals of revocable parts are kept apart: an amount of one pool
        # says nothing about the other.
        self._of = _revocable_refusals if revocable else _refusals

    def __getitem__(self, key: tuple[str, str]) -> tuple[float, Resources]:
        fw = self._frameworks.get(key[0])
        if fw is None:
            raise KeyError(key)
        return self._of(fw)[key[1]]

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        # Mapping.get would go through __getitem__ and a KeyError for every
        # agent a framework has not refused: most of them, every cycle.
        fw = self._frameworks.get(key[0])
        return default if fw is None else self._of(fw).get(key[1], default)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for fw in self._frameworks.values():
            for agent_id in self._of(fw):
                yield fw.framework_id, agent_id

    def __len__(self) -> int:
        return sum(len(self._of(fw)) for fw in self._frameworks.values())


def _refusals(fw: Framework) -> dict[str, tuple[float, Resources]]:
    return fw.refusals


def _revocable_refusals(fw: Framework) -> dict[str, tuple[float, Resources]]:
    return fw.revocable_refusals


def forget_expired_refusals(state: ClusterState, now: float) -> None:
    for fw in state.frameworks.values():
        fw.refusals = {a: r for a, r in fw.refusals.items() if r[0] > now}
        if fw.revocable_refusals:
            fw.revocable_refusals = {a: r for a, r in fw.revocable_refusals.items() if r[0] > now}


def offers_to_reclaim(
    state: ClusterState, newcomers: set[str], offered: set[str], made_before: float
) -> tuple[list[Offer], set[str]]:
    """A framework that just subscribed, and got nothing because every free
    resource sits in others' offers, should not wait for those to time out:
    some are rescinded, so the next cycle shares them by DRF. Only offers
    made before `made_before` are taken (a younger one is most likely being
    answered right now), oldest first, and no more than the newcomer's share
    of them. Returns the offers to rescind and the newcomers to look at again
    next cycle, when only young offers stood in the way."""
    for fid in sorted(newcomers - offered):
        fw = state.frameworks.get(fid)
        if fw is None or not fw.connected or fw.suppressed:
            continue
        others = [o for o in state.offers.values() if o.framework_id != fid]
        old = sorted((o for o in others if o.created_at < made_before), key=_age)
        wanting = sum(1 for f in state.frameworks.values() if f.connected and not f.suppressed)
        share = -(-len(others) // wanting)
        return old[:share], (newcomers - offered) if others and not old else set()
    return [], set()


def _age(offer: Offer) -> float:
    return offer.created_at
