"""The manual clock tests rely on: timers in order, each at its own time."""

from __future__ import annotations

import asyncio

from offer.clock import ManualClock


async def test_timers_run_in_order_each_at_its_own_time() -> None:
    clock = ManualClock(start=100.0)
    seen: list[tuple[str, float]] = []
    clock.call_later(5, lambda: seen.append(("b", clock())))
    clock.call_later(1, lambda: seen.append(("a", clock())))
    cancelled = clock.call_later(2, lambda: seen.append(("never", clock())))
    cancelled.cancel()
    await clock.advance(0.5)
    assert seen == []
    await clock.advance(10)
    assert seen == [("a", 101.0), ("b", 105.0)]
    assert clock() == 110.5 and clock.pending == 0


async def test_a_sleeper_wakes_when_its_time_has_passed() -> None:
    clock = ManualClock()
    woke = asyncio.Event()

    async def sleeper() -> None:
        await clock.sleep(30)
        woke.set()

    task = asyncio.create_task(sleeper())
    await clock.advance(29.9)
    assert not woke.is_set()
    await clock.advance(0.1)
    assert woke.is_set()
    await task
