"""The service framework's planner, driven with no processes."""

from __future__ import annotations

import itertools

from frameworks.sdk import Offer, Resources
from frameworks.service.planner import AppView, InstanceView, plan
from frameworks.service.spec import AppSpec
from offer.tasks import TaskState

NOW = 1000.0


def new_id_factory():  # type: ignore[no-untyped-def]
    counter = itertools.count(1)
    return lambda app: f"{app}.{next(counter)}"


def offer(n: int, host: str, cpus: float = 1, mem: float = 512, **attrs: str) -> Offer:
    return Offer(f"o{n}", f"a{n}", host, Resources(cpus, mem), attrs)


def instance(
    task_id: str,
    version: str,
    created: float,
    host: str = "h1",
    state: TaskState = TaskState.RUNNING,
) -> InstanceView:
    return InstanceView(task_id, "web", version, state, host, {}, None, created)


def app(instances: int, running: list[InstanceView] = (), **spec: object) -> AppView:  # type: ignore[assignment]
    fields: dict[str, object] = {"cpus": 0.25, "mem": 64, **spec}
    s = AppSpec(id="web", image="img", instances=instances, **fields)  # type: ignore[arg-type]
    return AppView(s, s.version, list(running))


def test_scale_up_spreads_instances_over_offers_by_default() -> None:
    p = plan([app(5)], [offer(1, "h1"), offer(2, "h2")], NOW, new_id_factory())
    placed = {oid: [t.task_id for _, t in tasks] for oid, (_, tasks) in p.launches.items()}
    assert placed == {"o1": ["web.1", "web.3", "web.5"], "o2": ["web.2", "web.4"]}
    assert p.waiting == {} and not p.wants_offers


def test_scale_up_binpacks_instances_into_offers_when_asked() -> None:
    p = plan([app(5, placement="binpack")], [offer(1, "h1"), offer(2, "h2")], NOW, new_id_factory())
    placed = {oid: [t.task_id for _, t in tasks] for oid, (_, tasks) in p.launches.items()}
    assert placed == {"o1": ["web.1", "web.2", "web.3", "web.4"], "o2": ["web.5"]}
    assert p.waiting == {} and not p.wants_offers


def test_scale_down_kills_the_newest_first() -> None:
    a = app(2)
    running = [instance(f"web.{i}", a.version, created=float(i)) for i in range(5)]
    p = plan([AppView(a.spec, a.version, running)], [], NOW, new_id_factory())
    assert p.kills == ["web.4", "web.3", "web.2"]


def test_unique_hostname_leaves_excess_waiting_with_the_reason() -> None:
    a = app(3, constraints=[["hostname", "UNIQUE"]])
    p = plan([a], [offer(1, "h1", cpus=4), offer(2, "h2", cpus=4)], NOW, new_id_factory())
    assert sum(len(t) for _, t in p.launches.values()) == 2
    assert p.waiting["web"] == (
        "no agent matches the constraints: UNIQUE hostname: h1 already runs an instance"
    )


def test_backoff_and_too_big_and_no_offers_are_told_apart() -> None:
    backing = AppView(app(1).spec, app(1).version, [], backoff_until=NOW + 60, failures=3)
    p = plan([backing], [offer(1, "h1")], NOW, new_id_factory())
    assert p.waiting["web"].startswith("backing off until") and "3 failures" in p.waiting["web"]
    huge = app(1, cpus=8)
    p = plan([huge], [offer(1, "h1")], NOW, new_id_factory(), largest_seen=Resources(2, 512))
    assert p.waiting["web"] == "needs cpus 8 > 2 in the largest offer seen"
    p = plan([app(1)], [], NOW, new_id_factory())
    assert p.waiting["web"] == "waiting for offers" and p.wants_offers


def test_rolling_update_keeps_capacity() -> None:
    new = app(2, maximum_over_capacity=0.5)
    old = [instance("web.1", "old", 1.0), instance("web.2", "old", 2.0)]
    first = plan([AppView(new.spec, new.version, old)], [offer(1, "h1")], NOW, new_id_factory())
    # One extra instance at most, and no old one killed before a new one is ready.
    assert sum(len(t) for _, t in first.launches.values()) == 1
    assert first.kills == []
    ready = [*old, instance("web.3", new.version, 3.0)]
    second = plan([AppView(new.spec, new.version, ready)], [], NOW, new_id_factory())
    assert second.kills == ["web.1"]


def test_rolling_update_with_no_minimum_replaces_at_once() -> None:
    new = app(2, minimum_health_capacity=0.0)
    old = [instance("web.1", "old", 1.0), instance("web.2", "old", 2.0)]
    p = plan([AppView(new.spec, new.version, old)], [offer(1, "h1")], NOW, new_id_factory())
    assert p.kills == ["web.1", "web.2"]
    assert sum(len(t) for _, t in p.launches.values()) == 2  # maximum_over_capacity 1.0


def named(app_id: str, **fields: object) -> AppView:
    s = AppSpec(id=app_id, image="img", **fields)  # type: ignore[arg-type]
    return AppView(s, s.version, [])


def test_an_app_needing_host_ports_says_no_agent_offers_any() -> None:
    agents = [offer(n, f"h{n}") for n in (1, 2, 3)]
    p = plan([named("web", ports=[8080])], agents, NOW, new_id_factory())
    assert p.launches == {} and p.wants_offers
    assert p.waiting["web"] == (
        "needs 1 host port; 3 agents offered none: give agents ports with "
        "--resources 'ports:[31000-32000]'"
    )


def test_too_few_ports_cpus_and_mem_are_each_said_with_the_shortfall() -> None:
    agents = [
        Offer("o1", "a1", "h1", Resources(0.5, 512, ports=((31000, 31000),))),
        Offer("o2", "a2", "h2", Resources(0.25, 100, ports=((31000, 31001),))),
    ]
    p = plan([named("web", ports=[80, 81], cpus=1, mem=256)], agents, NOW, new_id_factory())
    assert p.waiting["web"].split(". ") == [
        "needs 2 host ports; 1 agent offered at most 1 free: give agents ports with "
        "--resources 'ports:[31000-32000]'",
        "needs 1 cpus; 2 agents offered at most 0.5 (short by 0.5): free some (scale down "
        "other apps) or add an agent with more (--resources 'cpus:N')",
        "needs 256 MiB mem; 1 agent offered at most 100 (short by 156): free some (scale "
        "down other apps) or add an agent with more (--resources 'mem:N')",
    ]


def test_what_earlier_apps_took_counts_in_the_shortfall() -> None:
    p = plan([named("a", cpus=0.75), named("b", cpus=0.5)], [offer(1, "h1")], NOW, new_id_factory())
    assert [a for a, _ in p.launches["o1"][1]] == ["a"]
    assert p.waiting["b"].startswith("needs 0.5 cpus; 1 agent offered at most 0.25 (short by 0.25)")


def test_an_app_whose_planning_raises_is_left_out_and_the_others_go_on() -> None:
    """A spec loaded unchecked from an old store (its health check still a
    mapping) fails when its task is built: only that app waits, saying why."""
    broken = AppSpec.model_construct(id="bad", image="img", health_check={"protocol": "tcp"})
    apps = [AppView(broken, "v", []), named("good")]
    p = plan(apps, [offer(1, "h1")], NOW, new_id_factory())
    assert [a for a, _ in p.launches["o1"][1]] == ["good"]
    assert p.errors["bad"].startswith("AttributeError: ")
    assert p.waiting["bad"].startswith("cannot launch: AttributeError: ")
    marked = plan([AppView(broken, "v", [], broken="it is broken"), named("good")], [], NOW, str)
    assert marked.waiting["bad"] == "cannot launch: it is broken"
