"""The allocation trigger: the loop that runs allocation cycles, and the one
call that asks for one.

`request(agent_ids=...)` is Mesos's `generateOffers(slaveIds)`: it records
which agents may have something to offer now (a task ended, an offer went
away, the agent came back, was reactivated or regained its engine) and
wakes the loop. A cycle looks at those agents alone (under load, a few of
thousands: see bench/profiling.md, note 11).

A cycle runs `allocation_delay` after the first request, in real time, so
that a burst of requests costs one cycle; and at least every
`allocation_interval` on the master's clock, so that expired refusals are
noticed. Cycles run on the master's loop between other calls, never in
the middle of one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from master.config import MasterConfig
from master.metrics import MasterMetrics
from master.offers import forget_expired_refusals, make_offers, offers_to_reclaim
from master.state import ClusterState
from offer.clock import Clock

if TYPE_CHECKING:
    from master.offerbook import OfferBook

log = logging.getLogger(__name__)


class Allocation:
    def __init__(
        self, state: ClusterState, clock: Clock, config: MasterConfig, metrics: MasterMetrics
    ) -> None:
        self._state = state
        self._seconds = metrics.allocation_seconds
        self._clock = clock
        self._config = config
        # Agents that may have something to offer.
        self._candidates: set[str] = set()
        # Frameworks that (re)subscribed and have had no offer yet.
        self._newcomers: set[str] = set()
        # Agents that may have slack to lend (master.offers._revocable_plans).
        self._lending: set[str] = set()
        # Whether a connected framework accepted revocable resources at the
        # last cycle: without one, slack reports ask for no cycle (a large
        # cluster of idle services would ask for one every report).
        self._lenders_wanted = False
        self._wanted = asyncio.Event()
        self._refusals_purged_at = clock()

    def request(self, agent_ids: Iterable[str] = (), newcomer: str = "") -> None:
        """Asks for a cycle soon, looking at `agent_ids` among others; a
        `newcomer` (a framework that just subscribed) that the cycle leaves
        without an offer may take back some of others' (`offers_to_reclaim`)."""
        ids = set(agent_ids)
        self._candidates |= ids
        # Whatever freed resources here (an offer or a task gone) may have
        # freed a loan too.
        self._lending |= ids
        if newcomer:
            self._newcomers.add(newcomer)
        self._wanted.set()

    def lend(self, agent_id: str) -> None:
        """The agent's slack grew beyond what it lends: a cycle soon, unless
        one will already look at it."""
        if agent_id not in self._lending:
            self._lending.add(agent_id)
            if self._lenders_wanted:
                self._wanted.set()

    async def run(self, offers: OfferBook) -> None:
        """Runs cycles until cancelled; one bad cycle does not end them."""
        while True:
            wake = self._clock.call_later(self._config.allocation_interval, self._wanted.set)
            await self._wanted.wait()
            wake.cancel()
            await asyncio.sleep(self._config.allocation_delay)
            self._wanted.clear()
            try:
                self.cycle(offers)
            except Exception:
                log.exception("allocation cycle failed")

    def cycle(self, offers: OfferBook) -> None:
        """One allocation cycle, now: the offers it makes are sent through
        the offer book, and some are taken back for newcomers left without."""
        # Real time, whatever the master's clock: what the cycle cost the loop.
        began = time.perf_counter()
        self._cycle(offers)
        self._seconds.observe(time.perf_counter() - began)

    def _cycle(self, offers: OfferBook) -> None:
        now = self._clock()
        if now - self._refusals_purged_at >= self._config.allocation_interval:
            self._refusals_purged_at = now
            forget_expired_refusals(self._state, now)
        made = make_offers(
            self._state, self._candidates, self._config.weights, now, offers.new_id, self._lending
        )
        self._lenders_wanted = any(
            f.connected and f.accepts_revocable for f in self._state.frameworks.values()
        )
        offers.send(made)
        reclaim, self._newcomers = offers_to_reclaim(
            self._state,
            self._newcomers,
            set(made),
            now - self._config.offer_reclaim_age,
        )
        if reclaim:
            log.info("rescinding %d offers so that a new framework gets a share", len(reclaim))
        for offer in reclaim:
            offers.rescind(offer)
