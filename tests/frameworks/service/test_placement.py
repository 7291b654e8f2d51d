"""offer-service's placement (issue 28): spread by default, binpack when
asked, spread_by an agent attribute, with constraints, replacements and
rolling updates. The pure planner, driven with no processes."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from frameworks.checks import SpecError
from frameworks.sdk import Offer, Resources
from frameworks.service.planner import AppView, InstanceView, Plan, plan
from frameworks.service.spec import AppSpec, parse_app
from offer.tasks import TaskState

NOW = 1000.0


def ids():  # type: ignore[no-untyped-def]
    counter = itertools.count(1)
    return lambda app: f"{app}.{next(counter)}"


def agent(n: int, cpus: float = 4, mem: float = 4096, **attrs: str) -> Offer:
    return Offer(f"o{n}", f"a{n}", f"host{n}", Resources(cpus, mem), attrs)


def web(instances: int, running: list[InstanceView] = (), **spec: object) -> AppView:  # type: ignore[assignment]
    s = AppSpec(id="web", image="img", instances=instances, cpus=0.25, mem=32, **spec)  # type: ignore[arg-type]
    return AppView(s, s.version, list(running))


def running_on(n: int, task: str, version: str, **attrs: str) -> InstanceView:
    return InstanceView(
        task, "web", version, TaskState.RUNNING, f"host{n}", attrs, None, 1.0, agent_id=f"a{n}"
    )


def per_agent(p: Plan) -> dict[str, int]:
    return {o.agent_id: len(tasks) for o, tasks in p.launches.values()}


def test_four_instances_on_two_agents_with_room_go_two_and_two() -> None:
    p = plan([web(4)], [agent(1), agent(2)], NOW, ids())
    assert per_agent(p) == {"a1": 2, "a2": 2}


def test_one_pass_with_offers_from_three_agents_interleaves() -> None:
    p = plan([web(4)], [agent(1), agent(2), agent(3)], NOW, ids())
    order = sorted(
        (int(t.task_id.split(".")[1]), o.agent_id)
        for o, tasks in p.launches.values()
        for _, t in tasks
    )
    assert [a for _, a in order] == ["a1", "a2", "a3", "a1"]


def test_sixty_instances_over_three_agents_go_twenty_each() -> None:
    offers = [agent(n, cpus=16) for n in (1, 2, 3)]
    assert per_agent(plan([web(60)], offers, NOW, ids())) == {"a1": 20, "a2": 20, "a3": 20}
    # A MAX_PER constraint places the same in one pass: nothing waits for more offers.
    capped = web(60, constraints=[["hostname", "MAX_PER", "20"]])
    p = plan([capped], offers, NOW, ids())
    assert per_agent(p) == {"a1": 20, "a2": 20, "a3": 20} and p.waiting == {}


def test_six_instances_spread_by_zone_over_unequal_zones_go_two_per_zone() -> None:
    offers = [
        agent(1, zone="a"),
        agent(2, zone="b"),
        agent(3, zone="b"),
        agent(4, zone="c"),
        agent(5, zone="c"),
        agent(6, zone="c"),
    ]
    p = plan([web(6, spread_by=["zone"])], offers, NOW, ids())
    zones = Counter(o.attributes["zone"] for o, tasks in p.launches.values() for _ in tasks)
    assert zones == {"a": 2, "b": 2, "c": 2}
    # Without spread_by, agents are spread over: zone c's three agents take three.
    p = plan([web(6)], offers, NOW, ids())
    assert Counter(o.attributes["zone"] for o, t in p.launches.values() for _ in t)["c"] == 3


def test_binpack_puts_all_on_one_agent_while_it_fits() -> None:
    p = plan([web(16, placement="binpack")], [agent(1), agent(2)], NOW, ids())
    assert per_agent(p) == {"a1": 16}
    p = plan([web(17, placement="binpack")], [agent(1), agent(2)], NOW, ids())
    assert per_agent(p) == {"a1": 16, "a2": 1}


def test_a_replacement_goes_where_the_spread_is_thinnest() -> None:
    app = web(4)
    # One of a1's two instances ended: a1 runs 1, a2 runs 2.
    live = [
        running_on(1, "web.a", app.version),
        *(running_on(2, f"web.{x}", app.version) for x in "bc"),
    ]
    p = plan([AppView(app.spec, app.version, live)], [agent(1), agent(2)], NOW, ids())
    assert per_agent(p) == {"a1": 1}


def test_zones_count_the_instances_already_running() -> None:
    app = web(4, spread_by=["zone"])
    live = [
        running_on(1, "web.a", app.version, zone="a"),
        running_on(2, "web.b", app.version, zone="a"),
        running_on(3, "web.c", app.version, zone="b"),
    ]
    offers = [agent(1, zone="a"), agent(2, zone="a"), agent(3, zone="b"), agent(4, zone="c")]
    p = plan([AppView(app.spec, app.version, live)], offers, NOW, ids())
    assert per_agent(p) == {"a4": 1}


def test_a_rolling_update_spreads_the_new_version() -> None:
    old = web(4)
    new = web(4, cmd="sleep 2")
    live = [running_on(n, f"web.{n}{x}", old.version) for n in (1, 2) for x in "ab"]
    p = plan([AppView(new.spec, new.version, live)], [agent(1), agent(2)], NOW, ids())
    # maximum_over_capacity 1.0: all four new ones at once, two on each.
    assert per_agent(p) == {"a1": 2, "a2": 2}


def test_constraints_still_hold_and_say_why_the_rest_waits() -> None:
    app = web(3, constraints=[["hostname", "UNIQUE"]])
    p = plan([app], [agent(1), agent(2)], NOW, ids())
    assert per_agent(p) == {"a1": 1, "a2": 1}
    assert p.waiting["web"] == (
        "no agent matches the constraints: UNIQUE hostname: host1 already runs an instance"
    )


def test_placement_is_checked_and_does_not_change_the_version() -> None:
    base = parse_app({"id": "web", "image": "img"})
    assert (base.placement, base.spread_by) == ("spread", [])
    moved = parse_app({"id": "web", "image": "img", "placement": "binpack"})
    zoned = parse_app({"id": "web", "image": "img", "spread_by": ["zone", "rack"]})
    # A placement preference replaces no running instance.
    assert base.version == moved.version == zoned.version
    with pytest.raises(SpecError, match="placement"):
        parse_app({"id": "web", "image": "img", "placement": "random"})
    with pytest.raises(SpecError, match="only with placement spread"):
        parse_app({"id": "web", "image": "img", "placement": "binpack", "spread_by": ["zone"]})
    with pytest.raises(SpecError, match="spread_by"):
        parse_app({"id": "web", "image": "img", "spread_by": ["zone:a"]})
