"""Quota in the pure allocator: the cases of Mesos's quota design (a greedy
role cannot starve a guaranteed one; headroom held with and without a
framework in the guaranteed role; limits cap; guarantee = limit; a quota
larger than the cluster; DRF and weights still apply). No master, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pytest

from master.allocator import (
    AgentSlot,
    AllocationInput,
    FrameworkDemand,
    OfferPlan,
    Quota,
    allocate,
    quota_problem,
)
from offer.resources import Resources

NOW = 1000.0


def _quota(guarantee: str = "", limit: str = "") -> Quota:
    def amounts(text: str) -> dict[str, float]:
        pairs = (p.split(":") for p in text.split(";") if p)
        return {k: float(v) for k, v in pairs}

    return Quota.of(amounts(guarantee), amounts(limit))


def _agents(n: int, each: Resources | None = None) -> list[AgentSlot]:
    return [AgentSlot(f"a{i}", each or Resources(4, 4096)) for i in range(n)]


def _allocate(
    agents: Sequence[AgentSlot],
    frameworks: Sequence[FrameworkDemand],
    quotas: dict[str, Quota],
    consumption: dict[str, Resources] | None = None,
    available: Resources | None = None,
    weights: dict[str, float] | None = None,
) -> list[OfferPlan]:
    total = sum((a.available for a in agents), Resources())
    return allocate(
        AllocationInput(
            agents,
            frameworks,
            total=total,
            now=NOW,
            weights=weights or {},
            quotas=quotas,
            consumption=consumption or {},
            available=available,
        )
    )


def _by_framework(plans: Sequence[OfferPlan]) -> dict[str, Resources]:
    got: defaultdict[str, Resources] = defaultdict(Resources)
    for p in plans:
        got[p.framework_id] += p.resources.without_ports()
    return dict(got)


def test_a_greedy_role_cannot_eat_the_headroom_of_a_role_with_no_framework_yet() -> None:
    # prod is owed 4 cpus / 4096 MiB and has no framework: batch, alone and
    # greedy, is offered everything but that.
    plans = _allocate(
        _agents(4),
        [FrameworkDemand("greedy", "batch", Resources())],
        {"prod": _quota("cpus:4;mem:4096")},
    )
    assert _by_framework(plans) == {"greedy": Resources(12, 12288)}


def test_the_guaranteed_role_gets_its_whole_guarantee_first() -> None:
    # Both subscribed; batch has the lower share, but prod's guarantee comes first.
    plans = _allocate(
        _agents(4),
        [
            FrameworkDemand("greedy", "batch", Resources()),
            FrameworkDemand("svc", "prod", Resources(1, 1024)),
        ],
        {"prod": _quota("cpus:6;mem:6144")},
        consumption={"prod": Resources(1, 1024)},
    )
    got = _by_framework(plans)
    assert got["svc"].contains(Resources(5, 5120))
    # Nothing more than it is owed is carved out for it while batch waits
    # (the rest goes by DRF, where batch has the lower share).
    assert got["greedy"] == Resources(16 - got["svc"].cpus, 16384 - got["svc"].mem)


def test_headroom_is_held_with_a_framework_that_has_what_it_is_owed_on_other_agents() -> None:
    # A cycle over one agent: prod is owed 4 cpus, and only 4 are free in
    # the whole cluster (elsewhere, and not looked at this cycle): batch
    # gets nothing of this agent beyond what the surplus allows.
    plans = _allocate(
        [AgentSlot("a0", Resources(4, 4096))],
        [FrameworkDemand("greedy", "batch", Resources())],
        {"prod": _quota("cpus:4;mem:4096")},
        available=Resources(8, 8192),
    )
    assert _by_framework(plans) == {"greedy": Resources(4, 4096)}
    none = _allocate(
        [AgentSlot("a0", Resources(4, 4096))],
        [FrameworkDemand("greedy", "batch", Resources())],
        {"prod": _quota("cpus:4;mem:4096")},
        available=Resources(4, 4096),
    )
    assert none == []


def test_once_the_guarantee_is_met_nothing_is_held_back() -> None:
    plans = _allocate(
        _agents(2),
        [FrameworkDemand("greedy", "batch", Resources())],
        {"prod": _quota("cpus:4;mem:4096")},
        consumption={"prod": Resources(4, 4096)},
    )
    assert _by_framework(plans) == {"greedy": Resources(8, 8192)}


def test_a_limit_caps_what_the_role_is_offered_and_the_rest_goes_to_others() -> None:
    plans = _allocate(
        _agents(2, Resources(8, 8192)),
        [
            FrameworkDemand("greedy", "batch", Resources()),
            FrameworkDemand("other", "dev", Resources(0.5, 512)),
        ],
        {"batch": _quota(limit="cpus:5;mem:6000")},
    )
    got = _by_framework(plans)
    assert got["greedy"].cpus <= 5 and got["greedy"].mem <= 6000
    assert got["greedy"] + got["other"] == Resources(16, 16384)


def test_a_limit_counts_what_the_role_holds_already() -> None:
    plans = _allocate(
        _agents(1, Resources(8, 8192)),
        [FrameworkDemand("greedy", "batch", Resources(5, 100))],
        {"batch": _quota(limit="cpus:6")},
        consumption={"batch": Resources(5, 100)},
    )
    assert _by_framework(plans) == {"greedy": Resources(1, 8192)}
    at_limit = _allocate(
        _agents(1, Resources(8, 8192)),
        [FrameworkDemand("greedy", "batch", Resources(6, 100))],
        {"batch": _quota(limit="cpus:6")},
        consumption={"batch": Resources(6, 100)},
    )
    assert at_limit == []


def test_guarantee_equal_to_limit_gives_exactly_the_guarantee() -> None:
    plans = _allocate(
        _agents(4),
        [
            FrameworkDemand("svc", "prod", Resources()),
            FrameworkDemand("greedy", "batch", Resources()),
        ],
        {"prod": _quota("cpus:3;mem:3072", "cpus:3;mem:3072")},
    )
    got = _by_framework(plans)
    assert got["svc"] == Resources(3, 3072)
    assert got["greedy"] == Resources(13, 13312)


def test_a_quota_larger_than_the_cluster_gets_it_all_and_others_nothing() -> None:
    plans = _allocate(
        _agents(2),
        [
            FrameworkDemand("greedy", "batch", Resources()),
            FrameworkDemand("svc", "prod", Resources()),
        ],
        {"prod": _quota("cpus:100;mem:100000")},
    )
    assert _by_framework(plans) == {"svc": Resources(8, 8192)}
    # And without its framework, nothing at all is offered.
    assert (
        _allocate(
            _agents(2),
            [FrameworkDemand("greedy", "batch", Resources())],
            {"prod": _quota("cpus:100;mem:100000")},
        )
        == []
    )


def test_drf_among_roles_without_quota_is_still_fair() -> None:
    # prod's headroom takes 2 agents' worth; the other 4 agents alternate
    # between two equal roles as without quota.
    plans = _allocate(
        _agents(6),
        [FrameworkDemand("f1", "r1", Resources()), FrameworkDemand("f2", "r2", Resources())],
        {"prod": _quota("cpus:8;mem:8192")},
    )
    got = _by_framework(plans)
    assert got == {"f1": Resources(8, 8192), "f2": Resources(8, 8192)}


def test_weights_still_apply_above_quota() -> None:
    plans = _allocate(
        _agents(6),
        [FrameworkDemand("f1", "heavy", Resources()), FrameworkDemand("f2", "light", Resources())],
        {"prod": _quota("cpus:8;mem:8192")},
        weights={"heavy": 3.0},
    )
    got = _by_framework(plans)
    assert got["f1"].cpus == 12 and got["f2"].cpus == 4


def test_an_unguaranteed_kind_of_the_guaranteed_role_comes_out_of_the_surplus() -> None:
    # prod is guaranteed cpus only: its stage-one offer carries mem too, or
    # it would be useless; and the cut is only as many cpus as owed.
    plans = _allocate(
        _agents(1, Resources(8, 8192)),
        [FrameworkDemand("svc", "prod", Resources()), FrameworkDemand("b", "batch", Resources())],
        {"prod": _quota("cpus:2")},
    )
    first = plans[0]
    assert first.framework_id == "svc" and first.resources.cpus >= 2 and first.resources.mem > 0


def test_ports_go_whole_with_the_first_offer_cut_from_an_agent() -> None:
    agent = AgentSlot("a0", Resources(8, 8192, 0, ((31000, 32000),)))
    plans = _allocate(
        [agent],
        [FrameworkDemand("svc", "prod", Resources()), FrameworkDemand("b", "batch", Resources())],
        {"prod": _quota("cpus:2;mem:2048", "cpus:2;mem:2048")},
    )
    by = {p.framework_id: p.resources for p in plans}
    assert by["svc"].ports == ((31000, 32000),)
    assert by["b"].ports == () and by["b"].cpus == 6


def test_without_quotas_an_agent_still_goes_whole_to_one_framework() -> None:
    plans = _allocate(
        _agents(2),
        [FrameworkDemand("f1", "r1", Resources()), FrameworkDemand("f2", "r2", Resources())],
        {},
    )
    assert sorted((p.framework_id, p.resources) for p in plans) == [
        ("f1", Resources(4, 4096)),
        ("f2", Resources(4, 4096)),
    ]


def test_a_refusing_framework_is_passed_over_for_its_guaranteed_part() -> None:
    agents = _agents(1)
    view = AllocationInput(
        agents,
        [FrameworkDemand("svc", "prod", Resources()), FrameworkDemand("svc2", "prod", Resources())],
        total=Resources(4, 4096),
        now=NOW,
        refusals={("svc", "a0"): (NOW + 10, Resources(4, 4096))},
        quotas={"prod": _quota("cpus:2;mem:2048")},
    )
    assert {p.framework_id for p in allocate(view)} == {"svc2"}


@pytest.mark.parametrize(
    ("role", "guarantees", "limits", "says"),
    [
        ("", {"cpus": 1}, {}, "needs a role"),
        ("prod", {"cpus": -1}, {}, ">= 0"),
        ("prod", {"gpus": 1}, {}, "unknown resource 'gpus'"),
        ("prod", {"ports": 1}, {}, "ports cannot be part of a quota"),
        ("prod", {"cpus": 4}, {"cpus": 2}, "below its guarantee"),
        ("prod", {}, {"mem": float("inf")}, "finite"),
    ],
)
def test_bad_quotas_are_refused_with_a_reason(
    role: str, guarantees: dict[str, float], limits: dict[str, float], says: str
) -> None:
    assert says in quota_problem(role, guarantees, limits)
    assert quota_problem("prod", {"cpus": 4}, {"cpus": 4, "mem": 100}) == ""
