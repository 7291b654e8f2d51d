"""The master's timers, each named for what it ends: an offer's timeout, an
agent's timeout, a framework's failover, an agent's drain deadline.

Every timer runs on the master's `Clock` (a `ManualClock` in tests), and
when it fires it calls the matching method of `Expiries`, which enters
the core like any other call. Arming a timer again replaces it; cancelling
one that is not armed does nothing. The calls and recovery arm them
through this one API.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from master.cluster import Framework
from master.config import MasterConfig
from offer.clock import Clock, TimerHandle

log = logging.getLogger(__name__)


class Expiries(Protocol):
    """What the master does when a timer fires (each checks that what the
    timer was armed for still holds: it may have changed meanwhile)."""

    def offer_expired(self, offer_id: str) -> None: ...

    async def agent_timed_out(self, agent_id: str) -> None: ...

    async def failover_expired(self, framework_id: str) -> None: ...

    def drain_expired(self, agent_id: str) -> None: ...


class _Kind(enum.Enum):
    OFFER = "offer"
    AGENT = "agent"
    FAILOVER = "failover"
    DRAIN = "drain"


_Action = Callable[[str], Awaitable[None] | None]


class Timers:
    def __init__(self, clock: Clock, config: MasterConfig, expiries: Expiries) -> None:
        self._clock = clock
        self._config = config
        self._expiries = expiries
        self._handles: dict[tuple[_Kind, str], TimerHandle] = {}
        # Actions that are coroutines run as tasks; `close` cancels them.
        self._jobs: set[asyncio.Future[None]] = set()

    def arm_offer_timeout(self, offer_id: str) -> None:
        """The offer is rescinded unless answered within the offer timeout."""
        self._arm(_Kind.OFFER, offer_id, self._config.offer_timeout, self._expiries.offer_expired)

    def cancel_offer_timeout(self, offer_id: str) -> None:
        self._cancel(_Kind.OFFER, offer_id)

    def arm_agent_timeout(self, agent_id: str) -> None:
        """The agent is lost unless it is back within the agent timeout."""
        timeout = self._config.agent_timeout
        self._arm(_Kind.AGENT, agent_id, timeout, self._expiries.agent_timed_out)

    def cancel_agent_timeout(self, agent_id: str) -> None:
        self._cancel(_Kind.AGENT, agent_id)

    def arm_failover(self, fw: Framework) -> None:
        """The framework is removed unless back within its failover timeout."""
        failover = self._expiries.failover_expired
        self._arm(_Kind.FAILOVER, fw.framework_id, fw.failover_timeout, failover)

    def cancel_failover(self, framework_id: str) -> None:
        self._cancel(_Kind.FAILOVER, framework_id)

    def arm_drain(self, agent_id: str, deadline: float) -> None:
        """The agent's tasks are killed at `deadline` (Unix seconds), or at
        once if it has passed (as after a restart)."""
        delay = max(0.0, deadline - self._clock())
        self._arm(_Kind.DRAIN, agent_id, delay, self._expiries.drain_expired)

    def cancel_drain(self, agent_id: str) -> None:
        self._cancel(_Kind.DRAIN, agent_id)

    async def close(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        for job in self._jobs:
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)

    def _arm(self, kind: _Kind, key: str, delay: float, action: _Action) -> None:
        self._cancel(kind, key)
        name = (kind, key)
        self._handles[name] = self._clock.call_later(delay, self._fire, name, action)

    def _cancel(self, kind: _Kind, key: str) -> None:
        handle = self._handles.pop((kind, key), None)
        if handle is not None:
            handle.cancel()

    def _fire(self, name: tuple[_Kind, str], action: _Action) -> None:
        self._handles.pop(name, None)
        result = action(name[1])
        if result is not None:
            job = asyncio.ensure_future(result)
            self._jobs.add(job)
            job.add_done_callback(self._finished)

    def _finished(self, job: asyncio.Future[None]) -> None:
        self._jobs.discard(job)
        if not job.cancelled() and job.exception() is not None:
            log.error("a timer's action failed", exc_info=job.exception())
