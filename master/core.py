"""The master core: the one place where cluster state changes.

Every call runs on the master's single asyncio loop and follows one order:
validate against the current state, change the in-memory state (with no
await in between, so no other call can interleave), await the state store
until the change is durable, and only then tell anyone (reply, forward an
update, send a launch). Validation failures raise MasterError before
anything has changed. Timers (offer timeout, agent timeout, framework
failover) enter through the same methods.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from master.agents import AgentCalls
from master.base import ErrorKind, MasterConfig, MasterError
from master.frameworks import FrameworkCalls

__all__ = ["ErrorKind", "Master", "MasterConfig", "MasterError"]

log = logging.getLogger(__name__)


class Master(AgentCalls, FrameworkCalls):
    """The master core: agent calls and framework calls over one state, one
    store and one loop."""

    async def start(self) -> None:
        """Loads the persisted state; every agent and framework starts out
        disconnected, with its timeout running, until it comes back."""
        # Recovery makes hundreds of thousands of objects that all stay: the
        # cyclic collector would scan them again and again (a quarter of the
        # start-up). Once loaded they are frozen out of its way for good.
        gc.disable()
        try:
            await self._load()
        finally:
            gc.enable()
            gc.freeze()

    async def _load(self) -> None:
        snapshot = await asyncio.to_thread(self.store.load)
        await self.store.start()
        for agent in snapshot.agents:
            self.state.agents[agent.agent_id] = agent
            if agent.drain_deadline is not None:
                self._timers.set(
                    f"drain:{agent.agent_id}",
                    max(0.0, agent.drain_deadline - self.clock()),
                    self._drain_expired,
                    agent.agent_id,
                )
            if not agent.lost:
                self._timers.set(
                    f"agent:{agent.agent_id}",
                    self.config.agent_timeout,
                    self._agent_timed_out,
                    agent.agent_id,
                )
        for fw in snapshot.frameworks:
            self.state.frameworks[fw.framework_id] = fw
            if not fw.removed:
                self._timers.set(
                    f"framework:{fw.framework_id}",
                    fw.failover_timeout,
                    self._failover_expired,
                    fw.framework_id,
                )
        self.state.add_tasks(snapshot.tasks)
        for fid, updates in snapshot.unacked.items():
            if fid in self.state.frameworks:
                self.state.frameworks[fid].unacked = {u.uuid: u for u in updates}
        self._loops = [
            asyncio.create_task(self._allocation_loop(), name="allocation"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
        ]
        log.info(
            "master state loaded: %d agents, %d frameworks, %d tasks",
            len(self.state.agents),
            len(self.state.frameworks),
            len(self.state.tasks),
        )
