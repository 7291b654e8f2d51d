"""Dynamic reservations: what a framework's RESERVE and UNRESERVE operations
and an operator's reserve and unreserve do to an agent's reservations, and
what operators read of them. Static reservations come from agents' flags
(master.agents); both kinds are pools of master.reserved.

Each change follows the core's order: validate, change memory, await the
store until durable, then tell (a cycle is asked for: what is reserved for
whom changed). The master is the only record of dynamic reservations: an
agent restarting keeps them, as a master restarting does (the store).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from master import reserved
from master.cluster import Agent, Offer
from master.errors import ErrorKind, MasterError
from master.parts import OverParts
from master.state import ClusterState
from master.validation import check_reservation_amount, check_reserved_role
from offer import resources
from offer.resources import Resources

log = logging.getLogger(__name__)

NOTHING = Resources()


@dataclass(frozen=True, slots=True)
class ReservationChange:
    """One RESERVE (or, with `unreserve`, UNRESERVE) operation of an Accept."""

    # "" means the framework's own role.
    role: str
    amount: Resources
    unreserve: bool = False


@dataclass(frozen=True, slots=True)
class RoleReservations:
    """What is reserved for one role over the registered agents."""

    role: str
    # Static and dynamic together.
    reserved: Resources
    dynamic: Resources
    # Held by the role's tasks and offers.
    in_use: Resources
    agents: int


def planned_dynamic(
    role: str,
    agent: Agent,
    offers: Sequence[Offer],
    changes: Sequence[ReservationChange],
    start: Resources | None = None,
) -> Resources:
    """The role's dynamic reservation on the agent once an Accept's `changes`
    are applied in order to its `offers` (a framework of `role`), from
    `start` (None: the reservation as it is; earlier entries of an atomic
    AcceptMany may have changed it); raises MasterError naming the operation
    and why when one cannot be."""
    pooled = resources.total(o.resources for o in offers).without_ports()
    carved = resources.total(o.reserved for o in offers)
    dynamic = agent.dynamic_reserved.get(role, NOTHING) if start is None else start
    for n, change in enumerate(changes):
        verb = "unreserve" if change.unreserve else "reserve"
        where = f"operation {n} ({verb})"
        wanted = change.role or role
        if wanted != role:
            raise MasterError(
                ErrorKind.PERMISSION_DENIED,
                f"{where}: a framework may {verb} for its own role only ({role!r}), "
                f"not {wanted!r}; an operator reserves for other roles (offerctl agent reserve)",
            )
        problem = check_reserved_role(role, where) or check_reservation_amount(change.amount, where)
        if problem:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        amount = change.amount
        if not change.unreserve:
            free = pooled - carved
            if not free.contains(amount):
                raise MasterError(
                    ErrorKind.INVALID_ARGUMENT,
                    f"{where}: {amount} is more than the offers' unreserved part {free} "
                    f"({free.shortfall(amount)})",
                )
            carved, dynamic = carved + amount, dynamic + amount
            continue
        if not carved.contains(amount):
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT,
                f"{where}: {amount} is more than the offers' reserved part {carved} "
                f"({carved.shortfall(amount)}); unreserve what an offer says is reserved",
            )
        if not dynamic.contains(amount):
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT,
                f"{where}: {amount} is more than role {role!r}'s dynamic reservation on agent "
                f"{agent.agent_id} ({dynamic}); static reservations come from the agent's "
                "--resources and cannot be unreserved",
            )
        carved, dynamic = carved - amount, dynamic - amount
    return dynamic


def set_dynamic(state: ClusterState, agent: Agent, role: str, amount: Resources) -> None:
    """Makes the role's dynamic reservation on the agent `amount`."""
    dynamic = dict(agent.dynamic_reserved)
    dynamic[role] = amount
    state.set_reservations(agent, dynamic=dynamic)


class ReservationCalls(OverParts):
    async def reserve(self, agent_id: str, role: str, amount: Resources) -> Agent:
        """Reserves `amount` of the agent's unreserved resources not used by
        tasks for `role` (outstanding offers of the agent are rescinded).
        Raises MasterError: NOT_FOUND for an unknown agent, INVALID_ARGUMENT
        for a bad role or amount, or more than is unreserved and unused."""
        agent = self._checked(agent_id, role, amount)
        room = _unreserved_room(self._state, agent)
        if not room.contains(amount):
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT,
                f"agent {agent_id} has {room} unreserved and not used by tasks, less than "
                f"{amount} ({room.shortfall(amount)})",
            )
        await self._set(agent, role, agent.dynamic_reserved.get(role, NOTHING) + amount)
        log.info(
            "reserved %s for role %s on agent %s", amount, role, agent_id, extra={"role": role}
        )
        return agent

    async def unreserve(self, agent_id: str, role: str, amount: Resources) -> Agent:
        """Gives back `amount` of the role's dynamic reservation on the agent,
        which its tasks must not use. Raises MasterError as `reserve` does."""
        agent = self._checked(agent_id, role, amount)
        dynamic = agent.dynamic_reserved.get(role, NOTHING)
        if not dynamic.contains(amount):
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT,
                f"role {role!r}'s dynamic reservation on agent {agent_id} is {dynamic}, less "
                f"than {amount} ({dynamic.shortfall(amount)}); static reservations come from "
                "the agent's --resources and cannot be unreserved",
            )
        unused = reserved.floor0(
            agent.reserved.get(role, NOTHING) - _held_by_tasks(self._state, agent, role)
        )
        if not unused.contains(amount):
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT,
                f"role {role!r}'s tasks on agent {agent_id} use its reservation: only "
                f"{unused} of it is unused ({unused.shortfall(amount)}); unreserve less, "
                "or once tasks end",
            )
        await self._set(agent, role, dynamic - amount)
        log.info(
            "unreserved %s of role %s on agent %s", amount, role, agent_id, extra={"role": role}
        )
        return agent

    def view(self) -> list[RoleReservations]:
        """Every role with a reservation on an agent that is not lost, by role."""
        found: dict[str, list[tuple[Resources, Resources, Resources]]] = {}
        for agent in self._state.agents.values():
            if agent.lost:
                continue
            for role, amount in agent.reserved.items():
                dynamic = agent.dynamic_reserved.get(role, NOTHING)
                found.setdefault(role, []).append((amount, dynamic, reserved.in_use(agent, role)))
        return [
            RoleReservations(
                role,
                resources.total(a for a, _, _ in rows),
                resources.total(d for _, d, _ in rows),
                resources.total(u for _, _, u in rows),
                len(rows),
            )
            for role, rows in sorted(found.items())
        ]

    def _checked(self, agent_id: str, role: str, amount: Resources) -> Agent:
        agent = self._state.agents.get(agent_id)
        if agent is None:
            raise MasterError(ErrorKind.NOT_FOUND, f"no agent {agent_id!r} is known")
        problem = check_reserved_role(role, "role") or check_reservation_amount(amount, "amount")
        if problem:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        return agent

    async def _set(self, agent: Agent, role: str, amount: Resources) -> None:
        # Offers made of the agent's pools as they were are void.
        self._offers.rescind_on_agent(agent.agent_id)
        set_dynamic(self._state, agent, role, amount)
        await self._store.write(agents=[agent])
        self._allocation.request(agent_ids=(agent.agent_id,))


def _held_by_tasks(state: ClusterState, agent: Agent, role: str) -> Resources:
    """What the role's tasks (not its offers) hold on the agent."""
    offered = resources.total(
        o.resources
        for o in state.offers_where(agent_id=agent.agent_id)
        if state.frameworks[o.framework_id].role == role
    )
    return reserved.floor0(agent.held.get(role, NOTHING) - offered)


def _unreserved_room(state: ClusterState, agent: Agent) -> Resources:
    """What of the agent's unreserved part tasks do not use (its offers
    aside: they are rescinded before a reservation changes), floored at 0."""
    unused = resources.total(
        reserved.floor0(amount - _held_by_tasks(state, agent, role))
        for role, amount in agent.reserved.items()
    )
    return reserved.floor0(agent.total - agent.allocated - unused)
