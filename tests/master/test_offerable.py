"""Which agents an allocation cycle looks at (ClusterState.offerable_agents):
only those a change may have freed, and every one of them. Pure state."""

from __future__ import annotations

from dataclasses import replace

from master.allocator import is_allocatable
from master.cluster import Agent, Framework, Task
from master.offers import make_offers, offers_to_reclaim
from master.state import ClusterState
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus

NOW = 1000.0


def cluster(agents: int) -> ClusterState:
    state = ClusterState()
    for i in range(agents):
        state.agents[f"a{i}"] = Agent(f"a{i}", f"h{i}", Resources(4, 4096), NOW, connected=True)
        state.agent_changed(f"a{i}")
    state.frameworks["f"] = Framework("f", "f", "*", "u", 60, NOW, connected=True)
    return state


def ids(state: ClusterState) -> list[str]:
    return sorted(a.agent_id for a in state.offerable_agents())


def launch(state: ClusterState, agent_id: str, cpus: float) -> Task:
    spec = TaskSpec(f"t-{agent_id}-{cpus}", "t", Resources(cpus, 64), "busybox")
    status = TaskStatus(spec.task_id, "f", agent_id, TaskState.RUNNING, timestamp=NOW)
    task = Task("f", agent_id, spec, NOW, status)
    state.add_task(task)
    return task


def test_offered_or_full_agents_drop_out_until_something_frees_them() -> None:
    state = cluster(3)
    made = make_offers(state, {}, NOW, iter(f"o{n}" for n in range(100)).__next__)
    assert sorted(o.agent_id for o in made["f"]) == ["a0", "a1", "a2"]
    assert ids(state) == []  # all offered: nothing left to look at

    offer = next(o for o in state.offers.values() if o.agent_id == "a1")
    state.remove_offer(offer)  # declined or rescinded
    assert ids(state) == ["a1"]

    task = launch(state, "a1", 4)  # accepted it all
    assert ids(state) == []
    state.set_status(task, TaskStatus(task.spec.task_id, "f", "a1", TaskState.FINISHED))
    assert ids(state) == ["a1"]


def test_an_agent_that_stays_free_stays_a_candidate() -> None:
    state = cluster(2)
    state.frameworks["f"].suppressed = True  # nobody wants offers
    make_offers(state, {}, NOW, iter(f"o{n}" for n in range(100)).__next__)
    assert ids(state) == ["a0", "a1"]  # offered when someone wants them again


def test_connection_drain_and_engine_changes_count() -> None:
    state = cluster(1)
    agent = state.agents["a0"]
    agent.connected = False
    state.agent_changed("a0")
    assert ids(state) == []
    assert state.active_total() == Resources()
    agent.connected = True
    state.agent_changed("a0")
    assert ids(state) == ["a0"]
    assert state.active_total() == Resources(4, 4096)
    agent.engine_problem = "gone"
    assert ids(state) == []
    agent.engine_problem = ""
    state.agent_changed("a0")
    assert ids(state) == ["a0"]


def test_offers_made_match_a_full_scan() -> None:
    # Whatever happened, the candidates include every agent a full scan would offer.
    state = cluster(20)
    for i in range(0, 20, 3):
        launch(state, f"a{i}", 4)
    for i in range(1, 20, 3):
        launch(state, f"a{i}", 1)
    full_scan = sorted(a.agent_id for a in state.agents.values() if is_allocatable(a.free))
    assert ids(state) == full_scan


def test_a_newcomer_takes_back_only_offers_old_enough_to_be_hoarded() -> None:
    state = cluster(2)
    made = make_offers(state, {}, NOW, iter(f"o{n}" for n in range(100)).__next__)
    old, young = sorted(made["f"], key=lambda o: o.agent_id)
    young = replace(young, created_at=NOW + 5)  # made moments ago: "f" may be answering it
    state.offers[young.offer_id] = young
    state.frameworks["new"] = Framework("new", "new", "*", "u", 60, NOW, connected=True)

    assert offers_to_reclaim(state, {"new"}, set(), made_before=NOW) == ([], {"new"})
    # looked at again next cycle, once an offer is old enough

    taken, waiting = offers_to_reclaim(state, {"new"}, set(), made_before=NOW + 6)
    assert taken == [old]  # its share: one of two offers, the older
    assert waiting == set()
    assert offers_to_reclaim(state, {"new"}, {"new"}, made_before=NOW + 6) == ([], set())
