"""What agents do to the master's state: register, report status updates,
disconnect, get lost; and what operators do to agents: drain, reactivate.
Every method follows the core's order: validate, change memory, await the
store, then tell."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import replace

from master.base import ErrorKind, MasterBase, MasterError
from master.cluster import Agent, Task, TaskKey
from master.events import EventKind
from master.links import (
    AgentCommand,
    AgentFailed,
    AgentRefused,
    AgentRegistered,
    KillTask,
    UpdatesPersisted,
)
from master.validation import check_agent
from offer.outbox import Outbox
from offer.resources import Resources, Usage
from offer.tasks import StatusReason, TaskState, TaskStatus

log = logging.getLogger(__name__)


class AgentCalls(MasterBase):
    async def register_agent(
        self,
        agent_id: str,
        hostname: str,
        total: Resources,
        known: Sequence[TaskStatus],
        link: Outbox[AgentCommand],
        attributes: dict[str, str] | None = None,
    ) -> Agent:
        """Registers a new agent (empty id) or takes back a known one."""
        problem = check_agent(agent_id, total)
        if problem:
            link.send(AgentRefused(problem))
            link.close()
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        agent = self.state.agents.get(agent_id) if agent_id else None
        added = agent is None
        if agent is None:
            agent = Agent(
                agent_id or f"agent-{secrets.token_hex(6)}", hostname, total, self.clock()
            )
            self.state.agents[agent.agent_id] = agent
        agent.hostname, agent.total, agent.lost = hostname, total, False
        agent.engine_problem = ""
        agent.attributes = dict(attributes or {})
        self._timers.cancel(f"agent:{agent.agent_id}")
        lost, strays = self._reconcile_agent(agent, known)
        await self.store.write(
            agents=[agent], tasks=[t for t, _ in lost], updates=[u for _, u in lost]
        )
        # Only now may anything reach the agent, and AgentRegistered first:
        # attaching the link earlier would let an offer (and so a launch)
        # through while the write is in flight.
        old = self._agent_links.pop(agent.agent_id, None)
        if old is not None:
            old.close()
        self._agent_links[agent.agent_id] = link
        agent.connected = True
        self.state.agent_changed(agent.agent_id)
        link.send(AgentRegistered(agent.agent_id))
        self.events.publish(
            EventKind.AGENT_ADDED if added else EventKind.AGENT_REREGISTERED,
            f"agent {agent.agent_id} ({hostname}) {'registered' if added else 're-registered'} "
            f"with {total}",
            agent_id=agent.agent_id,
        )
        for fid, task_id in strays:
            link.send(KillTask(fid, task_id))
        for task in self.state.live_tasks_on(agent):
            reason = self._pending_kills.pop(task.key, None)
            if reason is not None:
                self._kill(task, reason)
        for task, update in lost:
            self._forward(task, update)
        log.info("agent %s registered from %s with %s", agent.agent_id, hostname, total)
        self._want_allocation()
        return agent

    def _reconcile_agent(
        self, agent: Agent, known: Sequence[TaskStatus]
    ) -> tuple[list[tuple[Task, TaskStatus]], list[TaskKey]]:
        """Tasks the master expects but the agent does not know become LOST;
        live tasks the agent runs but the master does not expect are returned
        to be killed. Tasks the agent reports as ended keep their state here
        until the agent's own final update arrives."""
        reported = {(s.framework_id, s.task_id): s for s in known}
        lost = []
        for task in self.state.live_tasks_on(agent):
            if task.key not in reported:
                update = self._status(
                    task,
                    TaskState.LOST,
                    StatusReason.AGENT_RESTARTED,
                    "the agent re-registered without this task",
                )
                self.state.set_status(task, update)
                lost.append((task, update))
        expected = {t.key for t in self.state.live_tasks_on(agent)}
        strays = sorted(
            key for key, s in reported.items() if not s.state.is_terminal and key not in expected
        )
        return lost, strays

    def agent_disconnected(self, agent_id: str, link: Outbox[AgentCommand]) -> None:
        if self._agent_links.get(agent_id) is not link:
            return  # an older stream of an agent that has reconnected since
        del self._agent_links[agent_id]
        self.state.agents[agent_id].connected = False
        self.state.agent_changed(agent_id)
        for offer in self.state.offers_where(agent_id=agent_id):
            self._remove_offer(offer, rescind=True)
        self._timers.set(
            f"agent:{agent_id}", self.config.agent_timeout, self._agent_timed_out, agent_id
        )
        self.events.publish(
            EventKind.AGENT_DISCONNECTED,
            f"agent {agent_id} disconnected; lost unless back within "
            f"{self.config.agent_timeout:g}s",
            agent_id=agent_id,
        )
        log.warning(
            "agent %s disconnected; lost unless back within %gs",
            agent_id,
            self.config.agent_timeout,
        )

    async def _agent_timed_out(self, agent_id: str) -> None:
        agent = self.state.agents[agent_id]
        if agent.connected or agent.lost:
            return
        agent.lost = True
        changed = []
        for task in self.state.live_tasks_on(agent):
            update = self._status(
                task,
                TaskState.LOST,
                StatusReason.AGENT_LOST,
                f"agent {agent_id} ({agent.hostname}) was lost: "
                f"no contact for {self.config.agent_timeout:g}s",
            )
            self.state.set_status(task, update)
            self._pending_kills.pop(task.key, None)
            changed.append((task, update))
        await self.store.write(
            agents=[agent], tasks=[t for t, _ in changed], updates=[u for _, u in changed]
        )
        log.warning("agent %s lost; %d tasks LOST", agent_id, len(changed))
        self.events.publish(
            EventKind.AGENT_LOST,
            f"agent {agent_id} ({agent.hostname}) was lost; {len(changed)} tasks LOST",
            agent_id=agent_id,
        )
        for fw_link in self._framework_links.values():
            fw_link.send(AgentFailed(agent_id))
        for task, update in changed:
            self._forward(task, update)
        self._want_allocation()

    async def status_updates(self, agent_id: str, statuses: Sequence[TaskStatus]) -> None:
        """Updates from an agent, oldest first: persisted together,
        acknowledged to the agent, then forwarded to their frameworks.
        Re-sent updates are acknowledged again and otherwise ignored."""
        link = self._agent_links.get(agent_id)
        settled: list[str] = []
        changed: list[tuple[Task, TaskStatus]] = []
        for status in statuses:
            task = self.state.tasks.get((status.framework_id, status.task_id))
            if task is None or task.agent_id != agent_id:
                settled.append(status.uuid)
                if link is not None and not status.state.is_terminal:
                    link.send(KillTask(status.framework_id, status.task_id))
                continue
            if not task.is_live or status.uuid in task.seen_updates:
                settled.append(status.uuid)
                continue
            if status.agent_id != agent_id:  # the stream, not the message, says who sent it
                status = replace(status, agent_id=agent_id)
            if self.state.set_status(task, status):
                self._pending_kills.pop(task.key, None)
                self._want_allocation()
            changed.append((task, status))
        # Written even when nothing changed: a re-sent update's first copy may
        # still be on its way to disk, and the agent must not forget it before.
        tasks = list(dict.fromkeys(task for task, _ in changed))
        await self.store.write(tasks=tasks, updates=[status for _, status in changed])
        link = self._agent_links.get(agent_id)  # the agent may have reconnected meanwhile
        if link is not None:
            settled += [status.uuid for _, status in changed]
            link.send(UpdatesPersisted(tuple(settled)))
        for task, status in changed:
            self._forward(task, status)

    async def drain_agent(self, agent_id: str, deadline_seconds: float) -> None:
        """Maintenance: no more offers for the agent; its tasks are killed
        once `deadline_seconds` have passed (frameworks may move them first)."""
        agent = self._agent(agent_id)
        if not deadline_seconds >= 0:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "deadline_seconds must be >= 0")
        agent.drain_deadline = self.clock() + deadline_seconds
        for offer in self.state.offers_where(agent_id=agent_id):
            self._remove_offer(offer, rescind=True)
        await self.store.write(agents=[agent])
        self._timers.set(f"drain:{agent_id}", deadline_seconds, self._drain_expired, agent_id)
        self.events.publish(
            EventKind.AGENT_DRAINING,
            f"agent {agent_id} is draining; its tasks are killed in {deadline_seconds:g}s",
            agent_id=agent_id,
        )
        log.info("agent %s draining; its tasks are killed in %gs", agent_id, deadline_seconds)

    def _drain_expired(self, agent_id: str) -> None:
        agent = self.state.agents[agent_id]
        if agent.drain_deadline is None:
            return
        for task in self.state.live_tasks_on(agent):
            self._kill(task, StatusReason.AGENT_DRAINED)

    async def reactivate_agent(self, agent_id: str) -> None:
        """Ends a drain: the agent is offered again."""
        agent = self._agent(agent_id)
        agent.drain_deadline = None
        self._timers.cancel(f"drain:{agent_id}")
        self.state.agent_changed(agent_id)
        await self.store.write(agents=[agent])
        self.events.publish(
            EventKind.AGENT_REACTIVATED, f"agent {agent_id} is active again", agent_id=agent_id
        )
        self._want_allocation()

    def engine_changed(self, agent_id: str, available: bool, message: str) -> None:
        """An agent lost or regained its container engine: no offers of it
        meanwhile (the state is the agent's to report again after a restart)."""
        agent = self.state.agents.get(agent_id)
        if agent is None:
            return
        was = agent.engine_problem
        agent.engine_problem = "" if available else (message or "unavailable")
        if available:
            log.info("agent %s can reach its container engine again", agent_id)
            self.state.agent_changed(agent_id)
            if was:
                self.events.publish(
                    EventKind.AGENT_ENGINE_AVAILABLE,
                    f"agent {agent_id} can reach its container engine again",
                    agent_id=agent_id,
                )
            self._want_allocation()
            return
        log.warning("agent %s cannot reach its container engine: %s", agent_id, message)
        if not was:
            self.events.publish(
                EventKind.AGENT_ENGINE_UNAVAILABLE,
                f"agent {agent_id} cannot reach its container engine: {agent.engine_problem}",
                agent_id=agent_id,
            )
        for offer in self.state.offers_where(agent_id=agent_id):
            self._remove_offer(offer, rescind=True)

    def record_usage(self, agent_id: str, machine: Usage, tasks: dict[TaskKey, Usage]) -> None:
        """Telemetry from an agent: kept in memory for operators, not persisted."""
        agent = self.state.agents.get(agent_id)
        if agent is None:
            return
        agent.usage = machine
        for key, usage in tasks.items():
            task = self.state.tasks.get(key)
            if task is not None and task.agent_id == agent_id:
                task.usage = usage
