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
Per framework, the same two sums (without ports: two tasks of one
framework on two agents may use the same port).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from offer import resources
from offer.resources import Resources

if TYPE_CHECKING:
    from master.state import ClusterState

ENABLED = os.environ.get("OFFER_CHECK_INVARIANTS", "") not in ("", "0")


def check_agent(state: ClusterState, agent_id: str) -> None:
    agent = state.agents.get(agent_id)
    if agent is None:
        return
    who = f"agent {agent_id}"
    offers = [o.resources for o in state.offers.values() if o.agent_id == agent_id]
    _same(who, "outstanding offers", resources.total(offers), "offered", agent.offered)
    live = [state.tasks[k].resources for k in agent.tasks if state.tasks[k].is_live]
    _same(who, "live tasks", resources.total(live), "allocated", agent.allocated)
    promised = agent.allocated + agent.offered
    if not agent.offered.is_empty() and not agent.total.contains(promised):
        raise AssertionError(
            f"{who}: allocated {agent.allocated} + offered {agent.offered} exceed its "
            f"total {agent.total} ({agent.total.shortfall(promised)})"
        )


def check_framework(state: ClusterState, framework_id: str) -> None:
    fw = state.frameworks.get(framework_id)
    if fw is None:
        return
    who = f"framework {framework_id}"
    offers = [o.resources for o in state.offers.values() if o.framework_id == framework_id]
    offered = resources.total(offers).without_ports()
    _same(who, "outstanding offers", offered, "offered", fw.offered.without_ports())
    live = [state.tasks[k].resources for k in fw.tasks if state.tasks[k].is_live]
    allocated = fw.allocated.without_ports()
    _same(who, "live tasks", resources.total(live).without_ports(), "allocated", allocated)


def _same(who: str, parts: str, summed: Resources, name: str, counted: Resources) -> None:
    if summed != counted:
        raise AssertionError(f"{who}: its {parts} sum to {summed}, but it counts {counted} {name}")
