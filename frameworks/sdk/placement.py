"""Where the next task of a group (an app's instances, a job's tasks) goes
among several offers: **spread** (as Swarm and Kubernetes place replicas:
the agent running the fewest of the group first, so that losing one agent
loses few of them, and several engines start them at once) or **binpack**
(the fullest agent that fits first, for density). Pure: no I/O, no clock.

The ranking counts the group's tasks already `placed`, those running and
those placed earlier in the same pass alike: a framework that appends each
task it places to `placed` before ranking again interleaves one pass's tasks
over the agents (1 -> A, 2 -> B, 3 -> C, 4 -> A, ...) instead of filling one
offer first. `place_tasks` does exactly that, with constraints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from frameworks.sdk.interface import Acceptance
from frameworks.sdk.scheduler import Offer
from frameworks.sdk.tasks import (
    Constraint,
    OffersPacking,
    Placement,
    _field_of,
    after,
    check_constraints,
    pack,
)
from offer.resources import Resources
from offer.tasks import TaskSpec

__all__ = ["STRATEGIES", "Strategy", "place_tasks", "rank_offers"]

Strategy = Literal["spread", "binpack"]
STRATEGIES: tuple[Strategy, ...] = ("spread", "binpack")


def rank_offers(
    offers: Sequence[Offer],
    placed: Sequence[Placement],
    *,
    strategy: Strategy = "spread",
    spread_by: Sequence[str] = (),
    free: Mapping[str, Resources] | None = None,
) -> list[Offer]:
    """The offers, best first, for the next task of a group whose tasks are
    `placed`. `free` (offer id -> what is still free of it in this pass)
    defaults to each offer's resources. Fit and constraints are the
    caller's: take the first ranked offer that passes them.

    spread: fewest of the group sharing the offer's value of each
    `spread_by` field, in order ("hostname" or an agent attribute; agents
    without the attribute make one group of their own); then fewest on the
    offer's agent; then the least loaded (most free cpus, then mem, then
    disk); then agent id.
    binpack: the fullest (least free cpus, then mem, then disk); then
    agent id. Ties break on offer id last: the same input, the same order.
    """
    left = free if free is not None else {o.offer_id: o.resources for o in offers}

    def roominess(offer: Offer) -> tuple[float, float, float]:
        r = left[offer.offer_id]
        return (r.cpus, r.mem, r.disk)

    if strategy == "binpack":
        return sorted(offers, key=lambda o: (roominess(o), o.agent_id, o.offer_id))
    if strategy != "spread":
        raise ValueError(f"unknown placement {strategy!r} (one of {', '.join(STRATEGIES)})")
    by_agent = Counter(p.agent_id for p in placed if p.agent_id)
    # An instance recorded without an agent id counts by hostname.
    by_host = Counter(p.hostname for p in placed if not p.agent_id)
    by_value = [
        Counter(_field_of(name, p.hostname, p.attributes) for p in placed) for name in spread_by
    ]

    def key(offer: Offer) -> tuple[object, ...]:
        groups = tuple(
            counts[_field_of(name, offer.hostname, offer.attributes)]
            for name, counts in zip(spread_by, by_value, strict=True)
        )
        here = by_agent[offer.agent_id] + by_host[offer.hostname]
        cpus, mem, disk = roominess(offer)
        return (*groups, here, -cpus, -mem, -disk, offer.agent_id, offer.offer_id)

    return sorted(offers, key=key)


def place_tasks(
    offers: Sequence[Offer],
    tasks: Iterable[TaskSpec],
    *,
    strategy: Strategy = "spread",
    spread_by: Sequence[str] = (),
    placed: Sequence[Placement] = (),
    constraints: Sequence[Constraint] = (),
) -> OffersPacking:
    """Places the tasks of one group, in order, each on the best offer by
    `rank_offers` that has room for it (host ports as `pack` gives them) and
    that `constraints` allow, counting the group's tasks already `placed`
    and those placed before it in this call. One Acceptance per offer used;
    the tasks that fit nowhere; the offers left unused (yours to decline)."""
    so_far = list(placed)
    # What is left of each offer in this pass, both parts (the ranking looks
    # at the ordinary one).
    left = {o.offer_id: o for o in offers}
    free = {o.offer_id: o.resources for o in offers}
    launches: dict[str, list[TaskSpec]] = {o.offer_id: [] for o in offers}
    left_out: list[TaskSpec] = []
    for spec in tasks:
        ranked = rank_offers(offers, so_far, strategy=strategy, spread_by=spread_by, free=free)
        for offer in ranked:
            if check_constraints(constraints, offer, so_far) is not None:
                continue
            packing = pack(left[offer.offer_id], [spec])
            if packing.launch:
                launches[offer.offer_id] += packing.launch
                left[offer.offer_id] = after(left[offer.offer_id], packing)
                free[offer.offer_id] = packing.remaining
                so_far.append(Placement(offer.hostname, offer.attributes, offer.agent_id))
                break
        else:
            left_out.append(spec)
    return OffersPacking(
        [Acceptance([o.offer_id], launches[o.offer_id]) for o in offers if launches[o.offer_id]],
        left_out,
        [o.offer_id for o in offers if not launches[o.offer_id]],
    )
