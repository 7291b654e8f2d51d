"""One allocation cycle over the master's state: which offers to make, and
which to take back for a newcomer. Pure (no I/O); the core sends them."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from offer.master.allocator import (
    AgentSlot,
    AllocationInput,
    FrameworkDemand,
    allocate,
    is_allocatable,
)
from offer.master.cluster import Offer
from offer.master.state import ClusterState


def make_offers(
    state: ClusterState, weights: Mapping[str, float], now: float, new_id: Callable[[], str]
) -> dict[str, list[Offer]]:
    """Runs the allocator on connected agents and frameworks, records the
    offers it plans in `state`, and returns them per framework."""
    agents = [
        a
        for a in state.agents.values()
        if a.connected and a.drain_deadline is None and not a.engine_problem
    ]
    frameworks = [f for f in state.frameworks.values() if f.connected]
    refusals = {}
    for fw in frameworks:
        fw.refusals = {a: r for a, r in fw.refusals.items() if r[0] > now}
        refusals.update({(fw.framework_id, a): r for a, r in fw.refusals.items()})
    plans = allocate(
        AllocationInput(
            # Only agents with something to offer: under load most have
            # nothing free, and a slot per agent per cycle dominated the cycle.
            agents=[AgentSlot(a.agent_id, free) for a in agents if is_allocatable(free := a.free)],
            frameworks=[
                FrameworkDemand(
                    f.framework_id, f.role, f.allocated + f.offered, f.suppressed, f.last_offered
                )
                for f in frameworks
            ],
            total=state.active_total(),
            now=now,
            weights=weights,
            refusals=refusals,
        )
    )
    made: dict[str, list[Offer]] = {}
    for plan in plans:
        agent = state.agents[plan.agent_id]
        offer = Offer(
            new_id(),
            plan.framework_id,
            plan.agent_id,
            agent.hostname,
            plan.resources,
            now,
            tuple(sorted(agent.attributes.items())),
        )
        state.add_offer(offer)
        made.setdefault(offer.framework_id, []).append(offer)
    for fid in made:
        state.frameworks[fid].last_offered = now
    return made


def offers_to_reclaim(state: ClusterState, newcomers: set[str], offered: set[str]) -> list[Offer]:
    """A framework that just subscribed or revived, and got nothing because
    every free resource sits in others' offers, should not wait for those to
    time out: they are to be rescinded, so the next cycle shares them by DRF."""
    for fid in sorted(newcomers - offered):
        fw = state.frameworks.get(fid)
        if fw is not None and fw.connected and not fw.suppressed:
            return [o for o in state.offers.values() if o.framework_id != fid]
    return []
