"""Backoff: delays grow to a bound, are spread by jitter, start over after
a success, and are waited for on an injected clock."""

from __future__ import annotations

import asyncio
import random

import pytest

from offer.backoff import Backoff
from offer.clock import ManualClock


def test_steps_double_up_to_the_bound_and_each_delay_stays_in_its_step() -> None:
    backoff = Backoff(0.2, 10.0, rng=random.Random(7))
    steps = [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0, 10.0, 10.0]
    for step in steps:
        delay = backoff.next_delay()
        assert step / 2 <= delay <= step


def test_a_reset_starts_over_at_the_first_step() -> None:
    backoff = Backoff(1.0, 8.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_jitter_spreads_many_retriers_apart() -> None:
    """10,000 agents cut off at once: their first retries do not coincide,
    and neither do their retries at the bound."""
    rng = random.Random(42)
    agents = [Backoff(0.2, 10.0, rng=rng) for _ in range(10_000)]
    first = [b.next_delay() for b in agents]
    for b in agents:
        for _ in range(8):
            at_bound = b.next_delay()
        assert 5.0 <= at_bound <= 10.0
    assert min(first) >= 0.1 and max(first) <= 0.2
    # Spread over the whole upper half of the step, not bunched at one end.
    assert sum(d < 0.15 for d in first) > 4000 and sum(d > 0.15 for d in first) > 4000
    assert len({round(d, 4) for d in first}) > 900


def test_a_seeded_backoff_repeats_its_delays() -> None:
    one, two = Backoff(rng=random.Random(3)), Backoff(rng=random.Random(3))
    assert [one.next_delay() for _ in range(6)] == [two.next_delay() for _ in range(6)]


@pytest.mark.parametrize(
    ("first", "most", "factor", "jitter"),
    [(0, 1, 2, 0.5), (2, 1, 2, 0.5), (1, 2, 0.5, 0.5), (1, 2, 2, 1.5)],
)
def test_nonsense_bounds_are_refused(
    first: float, most: float, factor: float, jitter: float
) -> None:
    with pytest.raises(ValueError):
        Backoff(first, most, factor=factor, jitter=jitter)


async def test_sleep_waits_on_the_clock_and_ends_early_when_stopped() -> None:
    clock = ManualClock()
    backoff = Backoff(clock=clock)
    stop = asyncio.Event()
    waiter = asyncio.create_task(backoff.sleep(5.0, stop))
    await clock.advance(4.9)
    assert not waiter.done()
    await clock.advance(0.1)
    assert waiter.done()

    waiter = asyncio.create_task(backoff.sleep(5.0, stop))
    await clock.advance(1.0)
    stop.set()
    await waiter
    assert clock.pending == 0  # the stopped sleep left no timer behind
    await backoff.sleep(5.0, stop)  # already stopped: returns at once
