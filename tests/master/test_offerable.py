"""Which agents an allocation cycle looks at (`offerable_agents`): only the
candidates a change may have freed, and every one of them. Pure state."""

from __future__ import annotations

from dataclasses import replace

from master.allocator import is_allocatable
from master.cluster import Agent, Framework, Offer, Task
from master.offers import make_offers, offerable_agents, offers_to_reclaim
from master.state import ClusterState
from offer.resources import Resources
from offer.tasks import TaskSpec, TaskState, TaskStatus

NOW = 1000.0


def cluster(agents: int) -> tuple[ClusterState, set[str]]:
    """A state, and the allocation's candidates: every agent, as registered."""
    state = ClusterState()
    for i in range(agents):
        state.add_agent(Agent(f"a{i}", f"h{i}", Resources(4, 4096), NOW, connected=True))
    state.add_framework(Framework("f", "f", "*", "u", 60, NOW, connected=True))
    return state, set(state.agents)


def ids(state: ClusterState, candidates: set[str]) -> list[str]:
    return sorted(a.agent_id for a in offerable_agents(state, candidates))


def offer_all(state: ClusterState, candidates: set[str]) -> dict[str, list[Offer]]:
    return make_offers(state, candidates, {}, NOW, iter(f"o{n}" for n in range(100)).__next__)


def launch(state: ClusterState, agent_id: str, cpus: float) -> Task:
    spec = TaskSpec(f"t-{agent_id}-{cpus}", "t", Resources(cpus, 64), "busybox")
    status = TaskStatus(spec.task_id, "f", agent_id, TaskState.RUNNING, timestamp=NOW)
    task = Task("f", agent_id, spec, NOW, status)
    state.add_task(task)
    return task


def test_offered_or_full_agents_drop_out_until_something_frees_them() -> None:
    state, candidates = cluster(3)
    made = offer_all(state, candidates)
    assert sorted(o.agent_id for o in made["f"]) == ["a0", "a1", "a2"]
    assert ids(state, candidates) == []  # all offered: nothing left to look at

    offer = next(o for o in state.offers.values() if o.agent_id == "a1")
    state.remove_offer(offer)  # declined or rescinded: the offer book asks for "a1"
    candidates.add("a1")
    assert ids(state, candidates) == ["a1"]

    task = launch(state, "a1", 4)  # accepted it all
    assert ids(state, candidates) == []
    assert state.set_status(task, TaskStatus(task.spec.task_id, "f", "a1", TaskState.FINISHED))
    candidates.add("a1")  # it ended: the status call asks for "a1"
    assert ids(state, candidates) == ["a1"]


def test_an_agent_that_stays_free_stays_a_candidate() -> None:
    state, candidates = cluster(2)
    state.frameworks["f"].suppressed = True  # nobody wants offers
    offer_all(state, candidates)
    assert ids(state, candidates) == ["a0", "a1"]  # offered when someone wants them again


def test_connection_drain_and_engine_changes_count() -> None:
    state, candidates = cluster(1)
    agent = state.agents["a0"]
    state.set_connected(agent, False)
    assert ids(state, candidates) == []
    assert state.active_total() == Resources()  # the state keeps its total right itself
    state.set_connected(agent, True)
    assert ids(state, {"a0"}) == ["a0"]
    assert state.active_total() == Resources(4, 4096)
    agent.engine_problem = "gone"
    assert ids(state, {"a0"}) == []
    agent.engine_problem = ""
    assert ids(state, {"a0"}) == ["a0"]


def test_offers_made_match_a_full_scan() -> None:
    # Whatever happened, the candidates include every agent a full scan would offer.
    state, candidates = cluster(20)
    for i in range(0, 20, 3):
        launch(state, f"a{i}", 4)
    for i in range(1, 20, 3):
        launch(state, f"a{i}", 1)
    full_scan = sorted(a.agent_id for a in state.agents.values() if is_allocatable(a.free))
    assert ids(state, candidates) == full_scan


def test_a_newcomer_takes_back_only_offers_old_enough_to_be_hoarded() -> None:
    state, candidates = cluster(2)
    made = offer_all(state, candidates)
    old, young = sorted(made["f"], key=lambda o: o.agent_id)
    young = replace(young, created_at=NOW + 5)  # made moments ago: "f" may be answering it
    state.offers[young.offer_id] = young
    state.add_framework(Framework("new", "new", "*", "u", 60, NOW, connected=True))

    assert offers_to_reclaim(state, {"new"}, set(), made_before=NOW) == ([], {"new"})
    # looked at again next cycle, once an offer is old enough

    taken, waiting = offers_to_reclaim(state, {"new"}, set(), made_before=NOW + 6)
    assert taken == [old]  # its share: one of two offers, the older
    assert waiting == set()
    assert offers_to_reclaim(state, {"new"}, {"new"}, made_before=NOW + 6) == ([], set())
