"""The slack estimate and the preemption choice: pure, table-tested."""

from __future__ import annotations

import pytest

from agent.slack import (
    Amount,
    RevocableTask,
    SlackPolicy,
    TaskUse,
    choose_preemptions,
    estimate_slack,
    launch_shortfall,
    next_estimate,
    raw_slack,
    slack_shortfall,
)

POLICY = SlackPolicy(margin=0.2, growth=0.5)


def use(alloc_cpus: float, alloc_mem: float, cpus: float, mem: float, rev: bool = False) -> TaskUse:
    return TaskUse(Amount(alloc_cpus, alloc_mem), Amount(cpus, mem), rev)


@pytest.mark.parametrize(
    ("tasks", "machine_free_mem", "expected"),
    [
        # Nothing allocated: nothing to lend.
        ([], None, Amount()),
        # An idle service: its allocation less the margin.
        ([use(2, 1000, 0, 0)], None, Amount(1.6, 800)),
        # Measured use is subtracted after the margin.
        ([use(2, 1000, 0.5, 300)], None, Amount(1.1, 500)),
        # A task past (1 - margin) of its share lends nothing, never negative,
        # and takes nothing from its neighbour's slack.
        ([use(1, 100, 0.95, 100), use(1, 100, 0, 0)], None, Amount(0.8, 80)),
        # Revocable tasks lend nothing: they run on the loan.
        ([use(2, 1000, 0, 0), use(1, 500, 0, 0, rev=True)], None, Amount(1.6, 800)),
        # Memory is capped by the machine's free memory...
        ([use(2, 1000, 0, 0)], 300, Amount(1.6, 300)),
        # ...plus what revocable tasks already use (their loan is part of it).
        ([use(2, 1000, 0, 0), use(1, 200, 0.5, 150, rev=True)], 300, Amount(1.6, 450)),
        # A machine reporting less than nothing free caps at zero.
        ([use(2, 1000, 0, 0)], -5, Amount(1.6, 0)),
    ],
)
def test_raw_slack(tasks: list[TaskUse], machine_free_mem: float | None, expected: Amount) -> None:
    assert raw_slack(tasks, POLICY, machine_free_mem) == expected


@pytest.mark.parametrize(
    ("previous", "raw", "expected"),
    [
        # Growth is a step of `growth` (0.5 here) towards the reading.
        (Amount(0, 0), Amount(2, 1000), Amount(1, 500)),
        (Amount(1, 500), Amount(2, 1000), Amount(1.5, 750)),
        # Shrinking is immediate.
        (Amount(1.5, 750), Amount(0.2, 100), Amount(0.2, 100)),
        # Per dimension: CPU shrinks at once while memory still grows slowly.
        (Amount(1, 500), Amount(0.5, 1000), Amount(0.5, 750)),
        # Steady readings hold steady.
        (Amount(1, 500), Amount(1, 500), Amount(1, 500)),
    ],
)
def test_next_estimate_is_slow_to_grow_fast_to_shrink(
    previous: Amount, raw: Amount, expected: Amount
) -> None:
    assert next_estimate(previous, raw, POLICY) == expected


def test_a_brief_dip_in_use_lends_little() -> None:
    busy, idle = [use(2, 1000, 1.6, 800)], [use(2, 1000, 0, 0)]
    policy = SlackPolicy(margin=0.2, growth=0.25)
    estimate = Amount()
    for tasks in [busy, busy, idle, busy, busy]:
        estimate = estimate_slack(estimate, tasks, policy)
        # The one idle reading lent a quarter of the 1.6 cores; the next
        # busy one took it back at once.
        assert estimate.cpus <= 0.4
    assert estimate == Amount()
    for _ in range(8):
        estimate = estimate_slack(estimate, idle, policy)
    # Sustained idleness approaches the full slack from below.
    assert 1.4 < estimate.cpus < 1.6


@pytest.mark.parametrize(("margin", "growth"), [(-0.1, 0.5), (1.0, 0.5), (0.2, 0.0), (0.2, 1.5)])
def test_policy_rejects_nonsense(margin: float, growth: float) -> None:
    with pytest.raises(ValueError):
        SlackPolicy(margin=margin, growth=growth)


def rev(key: str, cpus: float, mem: float, launched: float) -> RevocableTask[str]:
    return RevocableTask(key, Amount(cpus, mem), launched)


@pytest.mark.parametrize(
    ("tasks", "slack", "expected"),
    [
        ([], Amount(1, 100), Amount()),
        ([rev("a", 0.5, 50, 1), rev("b", 0.5, 50, 2)], Amount(1, 100), Amount()),
        ([rev("a", 0.5, 50, 1), rev("b", 0.5, 50, 2)], Amount(0.6, 100), Amount(0.4, 0)),
        ([rev("a", 0.5, 50, 1)], Amount(), Amount(0.5, 50)),
    ],
)
def test_slack_shortfall(tasks: list[RevocableTask[str]], slack: Amount, expected: Amount) -> None:
    assert slack_shortfall(tasks, slack) == expected


@pytest.mark.parametrize(
    ("total", "used", "launch", "expected"),
    [
        (Amount(4, 4000), Amount(1, 1000), Amount(2, 2000), Amount()),
        (Amount(4, 4000), Amount(3, 3500), Amount(2, 256), Amount(1, 0)),
        # Use past the total (a sample overshooting) leaves no room at all.
        (Amount(4, 4000), Amount(4.2, 100), Amount(1, 100), Amount(1, 0)),
    ],
)
def test_launch_shortfall(total: Amount, used: Amount, launch: Amount, expected: Amount) -> None:
    assert launch_shortfall(total, used, launch) == expected


OLD, MID, NEW = rev("old", 1, 100, 1), rev("mid", 1, 100, 2), rev("new", 1, 100, 3)


@pytest.mark.parametrize(
    ("tasks", "shortfall", "expected"),
    [
        # Nothing short: nobody is preempted.
        ([OLD, MID, NEW], Amount(), []),
        # The newest alone frees enough.
        ([OLD, MID, NEW], Amount(0.5, 0), ["new"]),
        ([NEW, OLD, MID], Amount(1, 100), ["new"]),
        # Two needed: the two newest.
        ([OLD, MID, NEW], Amount(1.5, 0), ["new", "mid"]),
        # Memory short counts as much as CPU short.
        ([OLD, MID, NEW], Amount(0, 150), ["new", "mid"]),
        # More than all of them hold: all, non-revocable tasks are never touched.
        ([OLD, MID, NEW], Amount(5, 0), ["new", "mid", "old"]),
        # A small new task does not free enough, an older large one does: the
        # new one is handed back, as killing it was not needed.
        ([rev("big", 2, 100, 1), rev("small", 0.1, 10, 2)], Amount(1, 0), ["big"]),
        # ...but when both are needed both go.
        ([rev("big", 2, 100, 1), rev("small", 0.1, 10, 2)], Amount(2.05, 0), ["small", "big"]),
        # Two dimensions met by different tasks.
        (
            [rev("cpu", 2, 10, 1), rev("mem", 0.1, 500, 2), rev("tiny", 0.1, 10, 3)],
            Amount(1, 400),
            ["mem", "cpu"],
        ),
        # Equal launch times: later in the given order counts as newer.
        ([rev("x", 1, 100, 5), rev("y", 1, 100, 5)], Amount(1, 0), ["y"]),
    ],
)
def test_choose_preemptions_newest_first_fewest_that_free_enough(
    tasks: list[RevocableTask[str]], shortfall: Amount, expected: list[str]
) -> None:
    assert choose_preemptions(tasks, shortfall) == expected
