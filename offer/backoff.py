"""Retrying with exponential backoff and jitter: what the agent's links to
the master and to the container engine, and the SDK driver's subscription,
wait between attempts.

Each delay is drawn at random from the upper half of the current step
(`jitter` = 0.5): never shorter than half the step, so a broken peer is not
hammered, and spread out, so that the 10,000 agents a master restart cuts
off at the same instant do not all come back in the same instant, again
and again. The step doubles after every failure up to `most`, and starts
over at `first` after a success (`reset()`).

Time is read from a `Clock`, so a test moves through the delays with a
`ManualClock` instead of waiting for them.
"""

from __future__ import annotations

import asyncio
import random

from offer.clock import Clock, SystemClock

__all__ = ["Backoff"]


class Backoff:
    """Delays between attempts: `first`, then `factor` times more after each
    failure, at most `most`, each shortened by up to `jitter` of itself at
    random. Not shared between tasks: one per retry loop."""

    def __init__(
        self,
        first: float = 0.2,
        most: float = 10.0,
        *,
        factor: float = 2.0,
        jitter: float = 0.5,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < first <= most:
            raise ValueError(f"backoff needs 0 < first <= most, not {first} and {most}")
        if factor < 1 or not 0 <= jitter <= 1:
            raise ValueError(f"backoff needs factor >= 1 and 0 <= jitter <= 1 ({factor}, {jitter})")
        self.first, self.most, self.factor, self.jitter = first, most, factor, jitter
        self.clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._step = first

    def reset(self) -> None:
        """After a success: the next delay is drawn from the first step again."""
        self._step = self.first

    def next_delay(self) -> float:
        """The delay before the next attempt, in [step * (1 - jitter), step];
        the step then grows for the attempt after it."""
        delay = self._step * (1.0 - self.jitter * self._rng.random())
        self._step = min(self._step * self.factor, self.most)
        return delay

    async def sleep(self, delay: float, stop: asyncio.Event | None = None) -> None:
        """Waits `delay` seconds on the clock, or less if `stop` is set meanwhile."""
        if stop is None:
            await self.clock.sleep(delay)
            return
        if stop.is_set():
            return
        sleeper = asyncio.ensure_future(self.clock.sleep(delay))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait((sleeper, stopper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopper.cancel()
