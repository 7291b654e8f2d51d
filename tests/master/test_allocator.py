"""The allocator is pure: these tests drive it with no master and no I/O."""

from __future__ import annotations

from master.allocator import AgentSlot, AllocationInput, FrameworkDemand, allocate
from offer.resources import Resources

NOW = 1000.0


def _view(agents, frameworks, **kw) -> AllocationInput:  # type: ignore[no-untyped-def]
    total = sum((a.available for a in agents), Resources())
    return AllocationInput(agents=agents, frameworks=frameworks, total=total, now=NOW, **kw)


def test_whole_agent_goes_to_the_lowest_dominant_share() -> None:
    agents = [AgentSlot("a1", Resources(4, 4096))]
    frameworks = [
        FrameworkDemand("rich", "*", Resources(2, 512)),
        FrameworkDemand("poor", "*", Resources(0.5, 256)),
    ]
    view = AllocationInput(agents, frameworks, total=Resources(8, 8192), now=NOW)
    [plan] = allocate(view)
    assert (plan.framework_id, plan.agent_id, plan.resources) == ("poor", "a1", Resources(4, 4096))


def test_each_agent_updates_the_shares_for_the_next() -> None:
    agents = [AgentSlot(f"a{i}", Resources(1, 1024)) for i in range(4)]
    frameworks = [FrameworkDemand("f1", "*", Resources()), FrameworkDemand("f2", "*", Resources())]
    plans = allocate(_view(agents, frameworks))
    assert [p.framework_id for p in plans] == ["f1", "f2", "f1", "f2"]


def test_suppressed_and_refusing_frameworks_are_skipped() -> None:
    agents = [AgentSlot("a1", Resources(1, 1024))]
    quiet = FrameworkDemand("quiet", "*", Resources(), suppressed=True)
    picky = FrameworkDemand("picky", "*", Resources())
    other = FrameworkDemand("other", "*", Resources(0.5, 0))
    refusals = {("picky", "a1"): (NOW + 5, Resources(1, 1024))}
    [plan] = allocate(_view(agents, [quiet, picky, other], refusals=refusals))
    assert plan.framework_id == "other"


def test_a_refusal_expires_and_does_not_cover_more_resources() -> None:
    agents = [AgentSlot("a1", Resources(1, 1024))]
    fw = [FrameworkDemand("f", "*", Resources())]
    expired = {("f", "a1"): (NOW - 1, Resources(1, 1024))}
    smaller = {("f", "a1"): (NOW + 5, Resources(0.5, 512))}
    assert len(allocate(_view(agents, fw, refusals=expired))) == 1
    assert len(allocate(_view(agents, fw, refusals=smaller))) == 1


def test_nothing_is_offered_below_the_minimum_or_to_nobody() -> None:
    tiny = [AgentSlot("a1", Resources(0.001, 1024)), AgentSlot("a2", Resources(1, 2))]
    assert allocate(_view(tiny, [FrameworkDemand("f", "*", Resources())])) == []
    assert allocate(_view([AgentSlot("a1", Resources(1, 1024))], [])) == []


def test_role_weights_scale_shares() -> None:
    agents = [AgentSlot("a1", Resources(1, 1024))]
    frameworks = [
        FrameworkDemand("p", "prod", Resources(3, 0)),  # share 3/8, weight 3 -> 1/8
        FrameworkDemand("b", "batch", Resources(2, 0)),  # share 2/8, weight 1 -> 2/8
    ]
    view = AllocationInput(
        agents, frameworks, total=Resources(8, 1024), now=NOW, weights={"prod": 3}
    )
    assert allocate(view)[0].framework_id == "p"


def test_drf_paper_example() -> None:
    """Ghodsi et al., NSDI 2011: 9 CPUs and 18 GB; A's tasks need <1 CPU, 4 GB>
    and B's <3 CPUs, 1 GB>. Offering to whoever has the lowest dominant share,
    one task per offer, ends with A running 3 tasks and B running 2."""
    total = Resources(9, 18 * 1024)
    need = {"A": Resources(1, 4 * 1024), "B": Resources(3, 1024)}
    held = {"A": Resources(), "B": Resources()}
    refused: dict[tuple[str, str], tuple[float, Resources]] = {}
    while True:
        free = total - held["A"] - held["B"]
        plans = allocate(
            AllocationInput(
                [AgentSlot("m", free)],
                [FrameworkDemand(f, "*", held[f]) for f in held],
                total=total,
                now=NOW,
                refusals=refused,
            )
        )
        if not plans:
            break
        fw = plans[0].framework_id
        if plans[0].resources.contains(need[fw]):
            held[fw] += need[fw]
        else:  # cannot use it: refuse this amount, as a framework would
            refused[(fw, "m")] = (NOW + 5, plans[0].resources)
    tasks = {f: round(held[f].cpus / need[f].cpus) for f in held}
    assert tasks == {"A": 3, "B": 2}
    assert held["A"].dominant_share(total) == held["B"].dominant_share(total) == 2 / 3


def test_equal_shares_rotate_so_a_decliner_cannot_starve_others() -> None:
    """A declines everything with no filter; B must still be served."""
    agents = [AgentSlot("a1", Resources(1, 1024))]
    last = {"A": 0.0, "B": 0.0}
    served = []
    for cycle in range(4):
        [plan] = allocate(
            _view(
                agents, [FrameworkDemand(f, "*", Resources(), last_offered=last[f]) for f in last]
            )
        )
        served.append(plan.framework_id)
        last[plan.framework_id] = NOW + cycle  # then it declines, refuse_seconds=0
    assert served == ["A", "B", "A", "B"]


def test_equal_role_shares_rotate_too() -> None:
    agents = [AgentSlot("a1", Resources(1, 1024))]
    frameworks = [
        FrameworkDemand("A", "alpha", Resources(), last_offered=NOW),
        FrameworkDemand("B", "beta", Resources(), last_offered=NOW - 10),
    ]
    assert allocate(_view(agents, frameworks))[0].framework_id == "B"
