"""Checks of what the master's bookkeeping promises (`master.state`), made
where the state changes when OFFER_CHECK_INVARIANTS=1 (the tests turn it
on, and masters they start inherit it). Off, they cost one flag test per
change. A broken promise raises AssertionError naming the agent or
framework and the numbers that disagree.

The promises, per agent:
- its outstanding offers sum to its `offered` (so its free resources are
  in at most one offer: each offer is carved from what was free);
- its live tasks sum to its `allocated`;
- while anything is offered, allocated + offered fit in its total (an
  agent that came back smaller than its tasks may be overcommitted by
  them, but is then offered nothing).
Per agent and role with a reservation there (master.reserved): what the
role's live tasks and offers on it sum to is its `held`; an offer's
reserved part is within the offer and only for a role with a reservation,
and the reserved parts of a role's offers sum to no more than what of its
reservation is in use (each was carved from the unused part).
Per framework, the same two sums (without ports: two tasks of one
framework on two agents may use the same port).
Revocable tasks count in neither sum: per agent, its live revocable tasks
sum to its `revocable_held` and its offers' revocable parts to its
`revocable_offered`; per framework, both together to its `revocable`.
For the cluster, the free total kept for quota's headroom
(`ClusterState.offerable_free`) is what the offerable agents' free sums to,
and the unused reservations kept per role (`ClusterState.reserved_unused`)
what the offerable agents' sum to.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from master import reserved
from master.cluster import Framework
from offer import resources
from offer.resources import Resources

if TYPE_CHECKING:
    from master.cluster import Agent, Offer
    from master.state import ClusterState

ENABLED = os.environ.get("OFFER_CHECK_INVARIANTS", "") not in ("", "0")


def check_agent(state: ClusterState, agent_id: str) -> None:
    agent = state.agents.get(agent_id)
    if agent is None:
        return
    who = f"agent {agent_id}"
    _check_sums(state, who, agent, [o for o in state.offers.values() if o.agent_id == agent_id])
    _check_pools(state, who, agent)
    promised = agent.allocated + agent.offered
    if not agent.offered.is_empty() and not agent.total.contains(promised):
        raise AssertionError(
            f"{who}: allocated {agent.allocated} + offered {agent.offered} exceed its "
            f"total {agent.total} ({agent.total.shortfall(promised)})"
        )


def _check_pools(state: ClusterState, who: str, agent: Agent) -> None:
    if set(agent.held) != set(agent.reserved):
        raise AssertionError(
            f"{who}: holdings are counted for roles {sorted(agent.held)}, "
            f"but it has reservations for {sorted(agent.reserved)}"
        )
    roles = {fid: fw.role for fid, fw in state.frameworks.items()}
    held: dict[str, list[Resources]] = {role: [] for role in agent.reserved}
    offered: dict[str, list[Resources]] = {role: [] for role in agent.reserved}
    for key in agent.tasks:
        task = state.tasks[key]
        if task.is_live and roles.get(task.framework_id) in held:
            held[roles[task.framework_id]].append(task.resources)
    for offer in state.offers.values():
        if offer.agent_id != agent.agent_id:
            continue
        role = roles.get(offer.framework_id, "")
        if not offer.resources.contains(offer.reserved):
            raise AssertionError(f"{who}: offer {offer.offer_id}'s reserved part exceeds it")
        if role in held:
            held[role].append(offer.resources)
            offered[role].append(offer.reserved)
        elif not offer.reserved.is_empty():
            raise AssertionError(
                f"{who}: offer {offer.offer_id} carries reserved {offer.reserved} for role "
                f"{role!r}, which has no reservation here"
            )
    for role, amounts in held.items():
        summed = resources.total(amounts).without_ports()
        _same(f"{who}, role {role}", "tasks and offers", summed, "held", agent.held[role])
        carved = resources.total(offered[role])
        if not reserved.in_use(agent, role).contains(carved):
            raise AssertionError(
                f"{who}, role {role}: its offers' reserved parts sum to {carved}, more than "
                f"the {reserved.in_use(agent, role)} of its reservation in use"
            )


def check_framework(state: ClusterState, framework_id: str) -> None:
    fw = state.frameworks.get(framework_id)
    if fw is None:
        return
    offers = [o for o in state.offers.values() if o.framework_id == framework_id]
    _check_sums(state, f"framework {framework_id}", fw, offers, ports=False)


def _check_sums(
    state: ClusterState, who: str, owner: Agent | Framework, offers: list[Offer], ports: bool = True
) -> None:
    """`owner.offered` is what `offers` sum to, `owner.allocated` what its
    live tasks do (with `ports` or without)."""

    def kept(amount: Resources) -> Resources:
        return amount if ports else amount.without_ports()

    offered = resources.total(o.resources for o in offers)
    _same(who, "outstanding offers", kept(offered), "offered", kept(owner.offered))
    live = [state.tasks[k] for k in owner.tasks if state.tasks[k].is_live]
    allocated = resources.total(t.resources for t in live if not t.revocable)
    _same(who, "live tasks", kept(allocated), "allocated", kept(owner.allocated))
    # Revocable amounts never carry ports.
    lent = resources.total(t.resources for t in live if t.revocable).without_ports()
    lending = resources.total(o.revocable for o in offers).without_ports()
    if isinstance(owner, Framework):
        _same(who, "revocable tasks and offers", lent + lending, "revocable", owner.revocable)
    else:
        _same(who, "revocable tasks", lent, "revocable_held", owner.revocable_held)
        _same(who, "offers' revocable parts", lending, "revocable_offered", owner.revocable_offered)


def _same(who: str, parts: str, summed: Resources, name: str, counted: Resources) -> None:
    if summed != counted:
        raise AssertionError(f"{who}: its {parts} sum to {summed}, but it counts {counted} {name}")


def check_offerable_free(state: ClusterState) -> None:
    kept = state._offerable_free
    if kept is None:
        return
    summed = resources.total(
        a.free
        for a in state.agents.values()
        if a.connected and a.drain_deadline is None and not a.engine_problem
    ).without_ports()
    # Both are sums of amounts with three decimals, in different orders.
    if any(abs(getattr(kept, k) - getattr(summed, k)) > 0.01 for k in ("cpus", "mem", "disk")):
        raise AssertionError(
            f"cluster: offerable agents' free sums to {summed}, but it counts {kept}"
        )
    check_reserved_unused(state)


def check_reserved_unused(state: ClusterState) -> None:
    kept = state._unused
    if kept is None:
        return
    sums: dict[str, list[Resources]] = {}
    for agent in state.agents.values():
        if agent.connected and agent.drain_deadline is None and not agent.engine_problem:
            for role in agent.reserved:
                sums.setdefault(role, []).append(reserved.unused(agent, role))
    for role in set(sums) | set(kept):
        summed = resources.total(sums.get(role, ()))
        counted = kept.get(role, Resources())
        if any(
            abs(getattr(counted, k) - getattr(summed, k)) > 0.01 for k in ("cpus", "mem", "disk")
        ):
            raise AssertionError(
                f"cluster: role {role}'s unused reservations sum to {summed}, "
                f"but it counts {counted}"
            )
