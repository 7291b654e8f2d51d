"""The master: its parts put together, its start (recovery) and stop, and
what operators read of it.

The parts, each in its own module and each readable alone:
- `state` (`master.state`): what the master knows, in memory;
- `store` (`master.store`): where that is made durable;
- `links` (`master.links`): the streams to agents and frameworks, and the
  kills held for disconnected agents;
- `offers` (`master.offerbook`): outstanding offers and refusals;
- `timers` (`master.timers`): offer, agent, failover and drain timeouts;
- `allocation` (`master.allocation`): the allocation loop and the one call
  that asks for a cycle;
- `events` (`master.events`): what operators watch.

The calls that change state are `agent_calls` (`master.agents`),
`framework_calls` (`master.frameworks`), `quota_calls`
(`master.quotas`) and `reservation_calls` (`master.reservations`). All of them, the timers and the
allocation cycles run on the master's one asyncio loop, and each call
follows one order: validate against the current state, change the
in-memory state (with no await in between, so no other call can
interleave), await the store until the change is durable, and only then
tell anyone (reply, forward an update, send a launch). A refused call
raises MasterError before anything has changed.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from master.agents import AgentCalls
from master.allocation import Allocation
from master.cluster import Agent, Framework, Offer, Task
from master.config import MasterConfig
from master.errors import ErrorKind, MasterError
from master.events import EventHub
from master.frameworks import Acceptance, FrameworkCalls
from master.history import History
from master.links import Links
from master.metrics import MasterMetrics
from master.offerbook import OfferBook
from master.parts import Parts
from master.quotas import QuotaCalls
from master.reservations import ReservationCalls
from master.state import ClusterState
from master.store import StateStore
from master.timers import Timers
from offer.clock import Clock, SystemClock

__all__ = ["Acceptance", "ErrorKind", "Master", "MasterConfig", "MasterError"]

log = logging.getLogger(__name__)


class Master:
    def __init__(
        self,
        store: StateStore,
        config: MasterConfig | None = None,
        clock: Clock | None = None,
        metrics: MasterMetrics | None = None,
    ) -> None:
        """`metrics`: where its counters and histograms go (by default a
        registry of their own, which nobody scrapes)."""
        self.store = store
        self.config = config = config or MasterConfig()
        self.clock = clock = clock or SystemClock()
        self.started_at = clock()
        self.metrics = metrics = metrics or MasterMetrics()
        store.observe_commits(metrics.committed)
        self.state = ClusterState()
        self.history = History(self.state, store, config)
        self.events = EventHub(clock)
        self.links = Links()
        self.timers = Timers(clock, config, expiries=self)
        self.allocation = Allocation(self.state, clock, config, metrics)
        self.offers = OfferBook(
            self.state, self.links, self.timers, self.allocation, clock, config, metrics
        )
        parts = Parts(
            config,
            clock,
            self.state,
            store,
            self.links,
            self.offers,
            self.timers,
            self.allocation,
            self.events,
            metrics,
        )
        self.agent_calls = AgentCalls(parts)
        self.framework_calls = FrameworkCalls(parts)
        self.quota_calls = QuotaCalls(parts)
        self.reservation_calls = ReservationCalls(parts)
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Loads the persisted state; every agent and framework starts out
        disconnected, with its timeout running, until it comes back."""
        # Recovery makes hundreds of thousands of objects that all stay: the
        # cyclic collector must not scan them again and again while they are
        # made (see bench/profiling.md, note 6). Once loaded they are frozen
        # out of its way for good.
        gc.disable()
        try:
            await self._load()
        finally:
            gc.enable()
            gc.freeze()
        self._loops = [
            asyncio.create_task(self.allocation.run(self.offers), name="allocation"),
            asyncio.create_task(self.history.run(), name="history"),
            asyncio.create_task(
                self.links.send_heartbeats(self.clock, self.config.heartbeat_interval),
                name="heartbeat",
            ),
        ]

    async def _load(self) -> None:
        snapshot = await asyncio.to_thread(self.store.load)
        await self.store.start()
        for agent in snapshot.agents:
            self.state.add_agent(agent)
            if agent.drain_deadline is not None:
                self.timers.arm_drain(agent.agent_id, agent.drain_deadline)
            if not agent.lost:
                self.timers.arm_agent_timeout(agent.agent_id)
        # In registration order: removed ones are pruned oldest first.
        for fw in sorted(snapshot.frameworks, key=lambda f: f.registered_at):
            self.state.add_framework(fw)
            if not fw.removed:
                self.timers.arm_failover(fw)
        self.state.add_tasks(snapshot.tasks)
        for role, quota in snapshot.quotas.items():
            self.state.set_quota(role, quota)
        for fid, updates in snapshot.unacked.items():
            if fid in self.state.frameworks:
                self.state.frameworks[fid].unacked = {u.uuid: u for u in updates}
        # Before serving: what the store holds beyond the limits goes now.
        self.history.prune_all()
        log.info(
            "master state loaded: %d agents, %d frameworks, %d tasks, %d quotas",
            len(self.state.agents),
            len(self.state.frameworks),
            len(self.state.tasks),
            len(self.state.quotas),
        )

    async def stop(self) -> None:
        self.events.close()
        await self.timers.close()
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self.links.close()
        await self.store.close()

    # ------------------------------------------------ timers (Expiries)

    def offer_expired(self, offer_id: str) -> None:
        self.offers.offer_expired(offer_id)

    async def agent_timed_out(self, agent_id: str) -> None:
        await self.agent_calls.timed_out(agent_id)

    async def failover_expired(self, framework_id: str) -> None:
        await self.framework_calls.failover_expired(framework_id)

    def drain_expired(self, agent_id: str) -> None:
        self.agent_calls.drain_expired(agent_id)

    # ---------------------------------------------------------------- views

    def find_task(self, task_id: str, framework_id: str = "") -> Task:
        """The task with this id; the framework is needed only when the id is
        used by several."""
        found = [
            t
            for t in self.state.tasks.values()
            if t.task_id == task_id and framework_id in ("", t.framework_id)
        ]
        if not found:
            raise MasterError(ErrorKind.NOT_FOUND, self._not_kept(task_id, framework_id))
        if len(found) > 1:
            raise MasterError(
                ErrorKind.FAILED_PRECONDITION,
                f"{len(found)} frameworks have a task {task_id!r}; name the framework too",
            )
        return found[0]

    def _not_kept(self, task_id: str, framework_id: str) -> str:
        """Why a task is not found: pruned (if still remembered), or unknown."""
        keep = self.config.max_completed_tasks_per_framework
        limit = f"--max-completed-tasks-per-framework {keep}"
        if any(tid == task_id and framework_id in ("", fid) for fid, tid in self.state.pruned):
            return (
                f"task {task_id!r} ended and is no longer kept (the master keeps the last "
                f"{keep} ended tasks per framework: {limit})"
            )
        # Unknown, or pruned long ago (after PRUNED_REMEMBERED others, or
        # before a restart): the master cannot tell the two apart.
        return f"no task {task_id!r} is known"

    def agents_view(self) -> list[Agent]:
        return sorted(self.state.agents.values(), key=lambda a: a.registered_at)

    def frameworks_view(self) -> list[Framework]:
        return sorted(self.state.frameworks.values(), key=lambda f: f.registered_at)

    def offers_view(self, framework_id: str = "", agent_id: str = "") -> list[Offer]:
        offers = self.state.offers_where(framework_id=framework_id, agent_id=agent_id)
        return sorted(offers, key=lambda o: (o.created_at, o.offer_id))
