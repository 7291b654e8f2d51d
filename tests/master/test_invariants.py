"""The bookkeeping's promises are checked where the state changes
(OFFER_CHECK_INVARIANTS=1, as in every test): a broken one names the agent
or framework and the numbers."""

from __future__ import annotations

import pytest

from master import invariants
from master.cluster import Agent, Framework, Offer
from master.state import ClusterState
from offer.resources import Resources


@pytest.fixture(autouse=True)
def checking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(invariants, "ENABLED", True)


def _state() -> ClusterState:
    state = ClusterState()
    state.add_agent(Agent("a1", "host", Resources(2, 1024), 1.0, connected=True))
    state.add_framework(Framework("f1", "fw", "*", "u", 60.0, 1.0, connected=True))
    return state


def test_an_offer_of_more_than_is_free_is_refused_naming_the_agent() -> None:
    state = _state()
    state.add_offer(Offer("o1", "f1", "a1", "host", Resources(2, 512), 1.0))
    with pytest.raises(AssertionError, match=r"agent a1: allocated .* exceed its total"):
        state.add_offer(Offer("o2", "f1", "a1", "host", Resources(1, 256), 1.0))


def test_counts_that_drift_from_the_offers_are_caught_at_the_next_change() -> None:
    state = _state()
    state.add_offer(Offer("o1", "f1", "a1", "host", Resources(1, 256), 1.0))
    state.frameworks["f1"].offered = Resources()  # as a forgotten update would leave it
    with pytest.raises(AssertionError, match="framework f1: its outstanding offers sum to"):
        state.add_offer(Offer("o2", "f1", "a1", "host", Resources(1, 256), 1.0))


def test_an_agent_back_with_less_than_its_offers_is_caught() -> None:
    state = _state()
    agent = state.agents["a1"]
    state.add_offer(Offer("o1", "f1", "a1", "host", Resources(2, 1024), 1.0))
    with pytest.raises(AssertionError, match="agent a1"):
        state.describe_agent(agent, "host", Resources(1, 512), {})
