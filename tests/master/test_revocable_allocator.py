"""Revocable offers from the agents' slack: pure, table-tested."""

from __future__ import annotations

import pytest

from master.allocator.revocable import (
    RevocableDemand,
    RevocableInput,
    RevocablePlan,
    RevocableSlot,
    allocate_revocable,
)
from offer.resources import Resources as R


@pytest.mark.parametrize(
    ("slot", "lendable"),
    [
        (RevocableSlot("a", R(2, 1000)), R(2, 1000)),
        # What revocable tasks hold and revocable offers carry is not lent twice.
        (RevocableSlot("a", R(2, 1000), R(0.5, 200), R(0.5, 300)), R(1, 500)),
        # Slack shrunk below what tasks hold: nothing to lend, never negative
        # (the agent preempts the excess itself).
        (RevocableSlot("a", R(0.5, 100), R(1, 200)), R(0, 0)),
        (RevocableSlot("a", R()), R()),
    ],
)
def test_lendable(slot: RevocableSlot, lendable: R) -> None:
    assert slot.lendable == lendable


def plans(
    slots: list[RevocableSlot],
    frameworks: list[RevocableDemand],
    refusals: dict[tuple[str, str], tuple[float, R]] | None = None,
) -> list[RevocablePlan]:
    return allocate_revocable(RevocableInput(slots, frameworks, 100.0, refusals or {}))


def test_nobody_accepting_revocable_is_offered_nothing() -> None:
    assert plans([RevocableSlot("a", R(2, 1000))], []) == []
    assert plans([RevocableSlot("a", R(2, 1000))], [RevocableDemand("f", suppressed=True)]) == []


def test_each_agent_whole_to_the_framework_holding_least_revocable() -> None:
    slots = [RevocableSlot("a", R(2, 1000)), RevocableSlot("b", R(1, 500), R(0.5, 100))]
    got = plans(slots, [RevocableDemand("big", R(3, 1000)), RevocableDemand("small")])
    # Of a 3-cpu pool "big" holds all (share 1): "small" takes a, and with a
    # share of 2/3 it is still first for what b has left.
    assert got == [
        RevocablePlan("small", "a", R(2, 1000)),
        RevocablePlan("small", "b", R(0.5, 400)),
    ]


def test_allocations_are_recorded_as_they_are_made() -> None:
    slots = [RevocableSlot("a", R(1, 500)), RevocableSlot("b", R(1, 500))]
    got = plans(slots, [RevocableDemand("f1"), RevocableDemand("f2", last_offered=50.0)])
    # Equal shares: the longest-waiting first, then the other one.
    assert [(p.framework_id, p.agent_id) for p in got] == [("f1", "a"), ("f2", "b")]


@pytest.mark.parametrize(
    ("slot", "offered"),
    [
        # Too small to run any task: not offered.
        (RevocableSlot("a", R(0.005, 1000)), False),
        (RevocableSlot("a", R(1, 4)), False),
        # Fully lent already.
        (RevocableSlot("a", R(1, 500), R(1, 500)), False),
        (RevocableSlot("a", R(1, 500), R(0.5, 100)), True),
    ],
)
def test_only_worthwhile_amounts_are_offered(slot: RevocableSlot, offered: bool) -> None:
    assert bool(plans([slot], [RevocableDemand("f")])) == offered


def test_a_refusal_of_that_amount_passes_the_agent_to_the_next_framework() -> None:
    slot = RevocableSlot("a", R(1, 500))
    refused = {("f1", "a"): (200.0, R(1, 500))}
    assert plans([slot], [RevocableDemand("f1"), RevocableDemand("f2")], refused) == [
        RevocablePlan("f2", "a", R(1, 500))
    ]
    # An expired refusal, or one of less than is lendable now, does not.
    for refusal in [(50.0, R(1, 500)), (200.0, R(0.5, 500))]:
        got = plans([slot], [RevocableDemand("f1"), RevocableDemand("f2")], {("f1", "a"): refusal})
        assert got[0].framework_id == "f1"
