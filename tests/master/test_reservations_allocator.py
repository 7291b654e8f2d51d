"""Reservations in the pure allocator and the master's pure bookkeeping:
reserved resources go to their role's frameworks only, with and without
quotas; an agent may hold reservations only; a role's unused reservations
count toward its quota consumption and are no part of the headroom others
may take; a role's tasks use its reservation first. No master, no I/O."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from master import reserved
from master.allocator import (
    AgentSlot,
    AllocationInput,
    FrameworkDemand,
    OfferPlan,
    Quota,
    allocate,
)
from master.cluster import Agent, Framework, Task
from master.offers import make_offers
from master.state import ClusterState
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus

NOW = 1000.0
PROD = Resources(2, 2048)


def _allocate(
    agents: Sequence[AgentSlot],
    frameworks: Sequence[FrameworkDemand],
    quotas: dict[str, Quota] | None = None,
    consumption: dict[str, Resources] | None = None,
    refusals: dict[tuple[str, str], tuple[float, Resources]] | None = None,
) -> list[OfferPlan]:
    total = sum((a.available + Resources(*_sum(a.reserved)) for a in agents), Resources())
    return allocate(
        AllocationInput(
            agents,
            frameworks,
            total=total,
            now=NOW,
            quotas=quotas or {},
            consumption=consumption or {},
            refusals=refusals or {},
        )
    )


def _sum(parts: tuple[tuple[str, Resources], ...]) -> tuple[float, float, float]:
    r = sum((p for _, p in parts), Resources())
    return r.cpus, r.mem, r.disk


def _by_framework(plans: Sequence[OfferPlan]) -> dict[str, list[OfferPlan]]:
    found: dict[str, list[OfferPlan]] = {}
    for plan in plans:
        found.setdefault(plan.framework_id, []).append(plan)
    return found


def _batch_and_prod() -> list[FrameworkDemand]:
    # batch holds less: DRF puts it first.
    return [
        FrameworkDemand("batch-fw", "batch", Resources()),
        FrameworkDemand("prod-fw", "prod", Resources(1, 1024)),
    ]


@pytest.mark.parametrize("with_quota", [False, True])
def test_reserved_part_goes_to_its_role_only(with_quota: bool) -> None:
    agent = AgentSlot("a1", Resources(2, 2048, ports=((31000, 31009),)), (("prod", PROD),))
    quotas = {"other": Quota.of({}, {"cpus": 100})} if with_quota else {}
    plans = _by_framework(_allocate([agent], _batch_and_prod(), quotas))
    [batch] = plans["batch-fw"]
    assert batch.resources == Resources(2, 2048, ports=((31000, 31009),))
    assert batch.reserved == Resources()
    [prod] = plans["prod-fw"]
    assert prod.resources == prod.reserved == PROD


@pytest.mark.parametrize("with_quota", [False, True])
def test_reserved_part_is_never_offered_outside_its_role(with_quota: bool) -> None:
    """Only batch wants offers: it gets the unreserved part and never the
    reservation, across cycles and whatever it holds."""
    agents = [AgentSlot(f"a{i}", Resources(1, 1024), (("prod", PROD),)) for i in range(5)]
    only = [AgentSlot("r", Resources(), (("prod", PROD),))]
    quotas = {"batch": Quota.of({"cpus": 100}, {})} if with_quota else {}
    for slots in (agents, only):
        plans = _allocate(slots, [FrameworkDemand("batch-fw", "batch", Resources())], quotas)
        assert all(p.framework_id == "batch-fw" for p in plans)
        assert all(p.resources == Resources(1, 1024) and p.reserved.is_empty() for p in plans)
        assert len(plans) == (5 if slots is agents else 0)


def test_agent_with_only_reserved_resources() -> None:
    agent = AgentSlot("a1", Resources(), (("prod", PROD), ("web", Resources(1, 512))))
    frameworks = [
        FrameworkDemand("batch-fw", "batch", Resources()),
        FrameworkDemand("prod-fw", "prod", Resources(5, 5000)),
        FrameworkDemand("web-fw", "web", Resources(9, 9000)),
    ]
    plans = {p.framework_id: p for p in _allocate([agent], frameworks)}
    assert set(plans) == {"prod-fw", "web-fw"}
    assert plans["prod-fw"].resources == plans["prod-fw"].reserved == PROD
    assert plans["web-fw"].resources == plans["web-fw"].reserved == Resources(1, 512)


def test_first_taker_of_its_role_gets_unreserved_part_with_its_reservation() -> None:
    """prod is first by DRF: one offer of the whole agent, its reserved part said."""
    agent = AgentSlot("a1", Resources(2, 2048), (("prod", PROD),))
    frameworks = [
        FrameworkDemand("prod-fw", "prod", Resources()),
        FrameworkDemand("batch-fw", "batch", Resources(8, 8192)),
    ]
    [plan] = _allocate([agent], frameworks)
    assert plan.framework_id == "prod-fw"
    assert plan.resources == Resources(4, 4096) and plan.reserved == PROD


def test_refused_reservation_is_not_given_to_another_role() -> None:
    agent = AgentSlot("a1", Resources(), (("prod", PROD),))
    frameworks = [
        FrameworkDemand("batch-fw", "batch", Resources()),
        FrameworkDemand("prod-fw", "prod", Resources()),
    ]
    refusals = {("prod-fw", "a1"): (NOW + 5, PROD)}
    assert _allocate([agent], frameworks, refusals=refusals) == []
    assert _allocate([agent], frameworks, refusals={}) != []


def test_limit_and_headroom_cut_only_the_unreserved_part() -> None:
    """prod at its limit is still offered its reservation (counted already);
    the unreserved part goes to batch."""
    agent = AgentSlot("a1", Resources(2, 2048), (("prod", PROD),))
    quotas = {"prod": Quota.of({}, {"cpus": 2, "mem": 2048})}
    frameworks = [
        FrameworkDemand("prod-fw", "prod", Resources()),
        FrameworkDemand("batch-fw", "batch", Resources(1, 1)),
    ]
    plans = {p.framework_id: p for p in _allocate([agent], frameworks, quotas, {"prod": PROD})}
    assert plans["prod-fw"].resources == plans["prod-fw"].reserved == PROD
    assert plans["batch-fw"].resources == Resources(2, 2048)
    assert plans["batch-fw"].reserved.is_empty()


def test_guaranteed_role_is_offered_its_reservation_and_what_it_is_owed() -> None:
    agent = AgentSlot("a1", Resources(4, 4096), (("prod", PROD),))
    quotas = {"prod": Quota.of({"cpus": 3, "mem": 3072}, {})}
    frameworks = [
        FrameworkDemand("batch-fw", "batch", Resources()),
        FrameworkDemand("prod-fw", "prod", Resources(9, 9000)),
    ]
    # Its unused reservation counts as consumption: it is owed 1 cpu, 1 GiB more.
    plans = {p.framework_id: p for p in _allocate([agent], frameworks, quotas, {"prod": PROD})}
    assert plans["prod-fw"].resources == Resources(3, 3072)
    assert plans["prod-fw"].reserved == PROD
    assert plans["batch-fw"].resources == Resources(3, 3072)


# ------------------------------------------------ the master's bookkeeping


def _state(static: dict[str, Resources]) -> ClusterState:
    state = ClusterState()
    agent = Agent("a1", "host", Resources(4, 4096), NOW, connected=True, static_reserved=static)
    state.add_agent(agent)
    for fid, role in (("prod-fw", "prod"), ("batch-fw", "batch")):
        state.add_framework(Framework(fid, fid, role, "u", 60, NOW, connected=True))
    return state


_ids = (f"o{n}" for n in itertools.count())


def _cycle(state: ClusterState) -> dict[str, list[Resources]]:
    made = make_offers(state, set(state.agents), {}, NOW, lambda: next(_ids))
    return {fid: [o.resources for o in offers] for fid, offers in made.items()}


def _launch(state: ClusterState, framework_id: str, task_id: str, amount: Resources) -> Task:
    spec = TaskSpec(task_id, task_id, amount, "busybox")
    status = TaskStatus(task_id, framework_id, "a1", TaskState.RUNNING, timestamp=NOW)
    task = Task(framework_id, "a1", spec, NOW, status)
    state.add_task(task)
    return task


def test_consumption_includes_unused_reservations() -> None:
    state = _state({"prod": PROD})
    assert state.role_consumption()["prod"] == PROD
    _launch(state, "prod-fw", "t1", Resources(1, 1024))
    # The task uses the reservation: consumption does not grow.
    assert state.role_consumption()["prod"] == PROD
    _launch(state, "prod-fw", "t2", Resources(2, 1024))
    assert state.role_consumption()["prod"] == Resources(3, 2048)
    assert state.offerable_unreserved_free() == Resources(1, 2048)


def test_quota_headroom_is_not_taken_from_reservations() -> None:
    """Of 4 cpus, 2 are reserved for prod and unused: batch may take the 2
    unreserved only if no guarantee is owed from them."""
    state = _state({"prod": PROD})
    state.set_quota("web", Quota.of({"cpus": 1, "mem": 1024}, {}))
    state.frameworks["prod-fw"].connected = False
    offered = _cycle(state)
    assert offered == {"batch-fw": [Resources(1, 1024)]}


def test_tasks_use_their_reservation_first_and_end_frees_it() -> None:
    state = _state({"prod": PROD})
    agent = state.agents["a1"]
    first = _cycle(state)
    assert sorted(first, key=str) == ["batch-fw", "prod-fw"]
    for offer in list(state.offers.values()):
        state.remove_offer(offer)
    task = _launch(state, "prod-fw", "t1", Resources(3, 3072))
    assert reserved.in_use(agent, "prod") == PROD
    slot_free, parts = reserved.pools(agent)
    assert slot_free == Resources(1, 1024) and parts == ()
    state.set_status(task, TaskStatus("t1", "prod-fw", "a1", TaskState.FINISHED, timestamp=NOW + 1))
    assert reserved.pools(agent) == (Resources(2, 2048), (("prod", PROD),))


def test_shrunk_reservation_keeps_tasks_and_offers_nothing_overcommitted() -> None:
    """An agent re-registers with a smaller total and no reservation while
    prod's tasks use it: nothing is killed, nothing more offered."""
    state = _state({"prod": PROD})
    _launch(state, "prod-fw", "t1", Resources(2, 2048))
    _launch(state, "batch-fw", "t2", Resources(2, 2048))
    agent = state.agents["a1"]
    state.describe_agent(agent, "host", Resources(3, 3072), {})
    state.set_reservations(agent, static={})
    assert agent.reserved == {} and agent.held == {}
    assert _cycle(state) == {}
