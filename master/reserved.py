"""An agent's reservations as pools (Mesos's reserved and unreserved
resources), pure arithmetic over `Agent`'s numbers.

An agent's `total` is its unreserved pool plus, per role, what is reserved
for the role. A role's live tasks and outstanding offers on the agent
(`Agent.held`) use its reservation first and the unreserved pool for the
rest, so per role and kind:

    in use of its reservation  = min(held, reserved)
    unused of its reservation  = max(0, reserved - held)
    taken from the unreserved  = max(0, held - reserved)

Nothing per task or per offer has to say which pool it came from: the sums
decide, exactly, and a task's end frees its role's reservation first. The
whole free amount (total - allocated - offered) is the unreserved free plus
every role's unused reservation; an offer to role R carries R's unused
reservation (capped by what is free at all) and any part of the unreserved
free, and its `reserved` part is what of it R's reservation covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from master.cluster import Agent
from offer import resources
from offer.resources import Resources

NOTHING = Resources()


def floor0(amount: Resources) -> Resources:
    """Each kind floored at 0 (no ports)."""
    return Resources(max(0.0, amount.cpus), max(0.0, amount.mem), max(0.0, amount.disk))


def least(a: Resources, b: Resources) -> Resources:
    """The smaller of the two on each kind (no ports)."""
    return Resources(min(a.cpus, b.cpus), min(a.mem, b.mem), min(a.disk, b.disk))


def unused(agent: Agent, role: str) -> Resources:
    """What of the role's reservation on the agent its tasks and offers do not hold."""
    reserved = agent.reserved.get(role)
    if reserved is None:
        return NOTHING
    return floor0(reserved - agent.held.get(role, NOTHING))


def in_use(agent: Agent, role: str) -> Resources:
    """What of the role's reservation on the agent its tasks and offers hold."""
    reserved = agent.reserved.get(role)
    if reserved is None:
        return NOTHING
    return least(reserved, agent.held.get(role, NOTHING))


def pools(agent: Agent) -> tuple[Resources, tuple[tuple[str, Resources], ...]]:
    """What may be offered of the agent: (its unreserved free, with ports;
    role -> the free part of its reservation, by role). The reserved parts
    are capped, in role order, by what is free at all: an agent whose tasks
    overcommit it (it came back smaller) is offered no more than it has. The
    unreserved free may be negative on a kind (then nothing of it is offered)."""
    free = agent.free
    if not agent.reserved:
        return free, ()
    cap = floor0(free)
    parts = []
    unused_total = []
    for role in sorted(agent.reserved):
        left = unused(agent, role)
        unused_total.append(left)
        part = least(left, cap)
        cap = cap - part
        if not part.is_empty():
            parts.append((role, part))
    return free - resources.total(unused_total), tuple(parts)


def summed(reserved: Iterable[Mapping[str, Resources]]) -> dict[str, Resources]:
    """Role -> the sum of its amounts over `reserved`; roles at nothing dropped."""
    found: dict[str, Resources] = {}
    for by_role in reserved:
        for role, amount in by_role.items():
            found[role] = found.get(role, NOTHING) + amount
    return {role: amount for role, amount in found.items() if not amount.is_empty()}
