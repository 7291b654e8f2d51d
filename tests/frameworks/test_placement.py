"""The SDK's placement: spread and binpack ranking of offers, and placing a
group of tasks with it, as tables. Pure: no processes."""

from __future__ import annotations

from collections import Counter

import pytest

from frameworks.sdk import (
    Constraint,
    Offer,
    Placement,
    Resources,
    Strategy,
    make_task,
    place_tasks,
    rank_offers,
)


def agent(n: int, cpus: float = 4, mem: float = 4096, **attrs: str) -> Offer:
    return Offer(f"o{n}", f"a{n}", f"host{n}", Resources(cpus, mem), attrs)


def on(n: int, **attrs: str) -> Placement:
    return Placement(f"host{n}", attrs, f"a{n}")


@pytest.mark.parametrize(
    ("offers", "placed", "strategy", "spread_by", "order"),
    [
        # spread: fewest of the group on the agent first.
        ([agent(1), agent(2)], [], "spread", (), ["a1", "a2"]),
        ([agent(1), agent(2)], [on(1)], "spread", (), ["a2", "a1"]),
        ([agent(1), agent(2), agent(3)], [on(1), on(2), on(1)], "spread", (), ["a3", "a2", "a1"]),
        # ... then the least loaded (most free cpus, then mem), then agent id.
        ([agent(1, cpus=1), agent(2, cpus=3)], [], "spread", (), ["a2", "a1"]),
        ([agent(1, mem=100), agent(2, mem=200)], [], "spread", (), ["a2", "a1"]),
        ([agent(2), agent(1)], [], "spread", (), ["a1", "a2"]),
        # An instance recorded without an agent id counts by hostname.
        ([agent(1), agent(2)], [Placement("host1", {})], "spread", (), ["a2", "a1"]),
        # spread_by: the attribute's value first, however many agents share it.
        (
            [agent(1, zone="a"), agent(2, zone="b"), agent(3, zone="b")],
            [on(1, zone="a"), on(2, zone="b")],
            "spread",
            ("zone",),
            ["a3", "a1", "a2"],
        ),
        (
            [agent(1, zone="a"), agent(2, zone="b"), agent(3, zone="b")],
            [on(1, zone="a")],
            "spread",
            ("zone",),
            ["a2", "a3", "a1"],
        ),
        # Agents without the attribute make one group of their own.
        ([agent(1, zone="a"), agent(2)], [on(1, zone="a")], "spread", ("zone",), ["a2", "a1"]),
        # spread_by hostname counts by host, as constraints read "hostname".
        ([agent(1), agent(2)], [on(2)], "spread", ("hostname",), ["a1", "a2"]),
        # binpack: the fullest first (least free cpus, then mem), then agent id.
        ([agent(1, cpus=3), agent(2, cpus=1)], [], "binpack", (), ["a2", "a1"]),
        ([agent(1, mem=900), agent(2, mem=100)], [on(2)], "binpack", (), ["a2", "a1"]),
        ([agent(2), agent(1)], [on(2), on(2)], "binpack", (), ["a1", "a2"]),
    ],
)
def test_rank_offers(
    offers: list[Offer],
    placed: list[Placement],
    strategy: Strategy,
    spread_by: tuple[str, ...],
    order: list[str],
) -> None:
    ranked = rank_offers(offers, placed, strategy=strategy, spread_by=spread_by)
    assert [o.agent_id for o in ranked] == order


def test_rank_offers_reads_what_is_left_of_each_offer_in_this_pass() -> None:
    offers = [agent(1), agent(2)]
    free = {"o1": Resources(1, 4096), "o2": Resources(4, 4096)}
    assert [o.agent_id for o in rank_offers(offers, [], free=free)] == ["a2", "a1"]
    assert [o.agent_id for o in rank_offers(offers, [], strategy="binpack", free=free)] == [
        "a1",
        "a2",
    ]


def test_rank_offers_refuses_an_unknown_strategy() -> None:
    with pytest.raises(ValueError, match="unknown placement 'random'"):
        rank_offers([agent(1)], [], strategy="random")  # type: ignore[arg-type]


def per_agent(
    offers: list[Offer],
    n: int = 4,
    strategy: Strategy = "spread",
    spread_by: tuple[str, ...] = (),
    placed: tuple[Placement, ...] = (),
) -> dict[str, int]:
    """How many of `n` tasks of 0.5 cpus `place_tasks` puts on each agent."""
    tasks = [make_task(f"t{i}", "img", cpus=0.5, mem=32) for i in range(n)]
    packing = place_tasks(offers, tasks, strategy=strategy, spread_by=spread_by, placed=placed)
    agent_of = {o.offer_id: o.agent_id for o in offers}
    return {agent_of[a.offer_ids[0]]: len(a.tasks) for a in packing.acceptances}


def test_four_tasks_on_two_agents_with_room_go_two_and_two() -> None:
    assert per_agent([agent(1), agent(2)]) == {"a1": 2, "a2": 2}


def test_one_pass_interleaves_over_the_agents() -> None:
    offers = [agent(1), agent(2), agent(3)]
    tasks = [make_task(f"t{i}", "img", cpus=0.5) for i in range(4)]
    packing = place_tasks(offers, tasks)
    assert [(a.offer_ids, [t.task_id for t in a.tasks]) for a in packing.acceptances] == [
        (["o1"], ["t0", "t3"]),
        (["o2"], ["t1"]),
        (["o3"], ["t2"]),
    ]


def test_six_tasks_spread_by_zone_over_unequal_zones_go_two_per_zone() -> None:
    offers = [
        agent(1, zone="a"),
        agent(2, zone="b"),
        agent(3, zone="b"),
        agent(4, zone="c"),
        agent(5, zone="c"),
        agent(6, zone="c"),
    ]
    got = per_agent(offers, n=6, spread_by=("zone",))
    zone_of = {o.agent_id: o.attributes["zone"] for o in offers}
    zones: Counter[str] = Counter()
    for agent_id, count in got.items():
        zones[zone_of[agent_id]] += count
    assert zones == {"a": 2, "b": 2, "c": 2}
    # Within a zone, spread over its agents too.
    assert got == {"a1": 2, "a2": 1, "a3": 1, "a4": 1, "a5": 1}


def test_binpack_fills_one_agent_while_it_fits() -> None:
    # 4 cpus each: 8 tasks of 0.5 fit on one agent, the 9th goes to the next.
    assert per_agent([agent(1), agent(2)], n=8, strategy="binpack") == {"a1": 8}
    assert per_agent([agent(1), agent(2)], n=9, strategy="binpack") == {"a1": 8, "a2": 1}
    # The fullest agent that fits first.
    assert per_agent([agent(1), agent(2, cpus=2)], n=5, strategy="binpack") == {"a2": 4, "a1": 1}


def test_spread_counts_the_tasks_already_placed() -> None:
    # A replacement goes where the spread is thinnest.
    got = per_agent([agent(1), agent(2)], n=1, placed=(on(1), on(1), on(2)))
    assert got == {"a2": 1}


def test_spread_goes_on_where_an_agent_is_full() -> None:
    got = per_agent([agent(1, cpus=1), agent(2)], n=6)
    assert got == {"a1": 2, "a2": 4}


def test_constraints_hold_over_the_spread() -> None:
    offers = [agent(1), agent(2), agent(3)]
    rule = [Constraint("hostname", "MAX_PER", "1")]
    tasks = [make_task(f"t{i}", "img", cpus=0.5) for i in range(4)]
    packing = place_tasks(offers, tasks, constraints=rule, placed=[on(3)])
    assert [a.offer_ids for a in packing.acceptances] == [["o1"], ["o2"]]
    assert [t.task_id for t in packing.left_out] == ["t2", "t3"]
    assert packing.unused == ["o3"]
