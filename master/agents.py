"""What agents do to the master's state: register, report status updates,
disconnect, get lost; and what operators do to agents: drain, reactivate.
Every method follows the core's order: validate, change memory (no await
in between), await the store until durable, then tell."""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from master.allocator import is_allocatable
from master.cluster import Agent, Task, TaskKey
from master.errors import ErrorKind, MasterError
from master.events import EventKind
from master.messages import (
    AgentCommand,
    AgentFailed,
    AgentRefused,
    AgentRegistered,
    KillTask,
    UpdatesPersisted,
)
from master.parts import OverParts, Parts
from master.validation import check_agent, check_static_reservations
from offer.outbox import Outbox
from offer.resources import Resources, Usage
from offer.tasks import StatusReason, TaskState, TaskStatus

log = logging.getLogger(__name__)


class AgentCalls(OverParts):
    def __init__(self, parts: Parts) -> None:
        super().__init__(parts)
        # Ids whose registration awaits the store: not removable meanwhile.
        self._registering: set[str] = set()

    async def register(
        self,
        agent_id: str,
        hostname: str,
        total: Resources,
        known: Sequence[TaskStatus],
        link: Outbox[AgentCommand],
        attributes: dict[str, str] | None = None,
        principal: str = "",
        address: str = "",
        reservations: Mapping[str, Resources] | None = None,
    ) -> Agent:
        """Registers a new agent (empty id) or takes back a known one.

        One agent per id: a known id is taken back only from the hostname it
        was registered from (a restarted agent replaces its older stream at
        once) and, with authentication, only by the principal that first
        registered it. Any other claim raises MasterError and changes nothing:
        FAILED_PRECONDITION for another hostname, PERMISSION_DENIED for
        another principal. `address` (where other hosts reach its tasks) is
        taken as it comes on every registration: an agent moved to another
        address re-registers with the new one.

        `reservations` (role -> amount, part of `total`) are its static
        ones, from its flags: they replace those it registered with before.
        Tasks on a reservation that shrank or went keep running; what they
        hold beyond it counts against the unreserved part (master.reserved),
        and an agent whose tasks then overcommit it is offered nothing more
        of it until enough end. Dynamic reservations are the master's and
        stay as they are."""
        static = dict(reservations or {})
        problem = check_agent(agent_id, total, address) or check_static_reservations(total, static)
        if problem:
            link.send(AgentRefused(problem))
            link.close()
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        agent = self._state.agents.get(agent_id) if agent_id else None
        if agent is not None:
            self._check_identity(agent, hostname, principal)
        added = agent is None
        if agent is None:
            agent = Agent(
                agent_id or f"agent-{secrets.token_hex(6)}",
                hostname,
                total,
                self._clock(),
                principal=principal,
            )
            self._state.add_agent(agent)
        elif not agent.principal:
            agent.principal = principal  # registered before agents had owners
        # Offers made of what it had before are void, whatever it has now.
        self._offers.rescind_on_agent(agent.agent_id)
        self._state.describe_agent(agent, hostname, total, dict(attributes or {}), address)
        self._state.set_reservations(agent, static=static)
        self._warn_if_overreserved(agent)
        self._timers.cancel_agent_timeout(agent.agent_id)
        lost, strays = self._reconcile(agent, known)
        self._registering.add(agent.agent_id)
        try:
            await self._store.write(
                agents=[agent], tasks=[t for t, _ in lost], updates=[u for _, u in lost]
            )
        finally:
            self._registering.discard(agent.agent_id)
        # Only now may anything reach the agent, and AgentRegistered first:
        # attaching the link earlier would let an offer (and so a launch)
        # through while the write is in flight.
        self._links.attach_agent(agent.agent_id, link)
        self._state.set_connected(agent, True)
        link.send(AgentRegistered(agent.agent_id))
        self._events.publish(
            EventKind.AGENT_ADDED if added else EventKind.AGENT_REREGISTERED,
            f"agent {agent.agent_id} ({hostname}) {'registered' if added else 're-registered'} "
            f"with {total}",
            agent_id=agent.agent_id,
        )
        for fid, task_id in strays:
            link.send(KillTask(fid, task_id))
        self._links.send_pending_kills(self._state.live_tasks_on(agent))
        for task, update in lost:
            self._parts.forward(task, update)
        (self._metrics.agents_registered if added else self._metrics.agents_reregistered).inc()
        log.info(
            "agent %s registered from %s (address %s) with %s%s",
            agent.agent_id,
            hostname,
            address or "not advertised",
            total,
            "" if added else " (a re-registration)",
            extra={"agent_id": agent.agent_id, "hostname": hostname},
        )
        self._allocation.request(agent_ids=(agent.agent_id,))
        return agent

    def _warn_if_overreserved(self, agent: Agent) -> None:
        together = sum(agent.reserved.values(), Resources())
        if not agent.total.contains(together):
            log.warning(
                "agent %s registered with %s, less than its reservations (%s): nothing "
                "unreserved of it is offered until reservations are removed "
                "(offerctl agent unreserve)",
                agent.agent_id,
                agent.total,
                together,
                extra={"agent_id": agent.agent_id},
            )

    def _check_identity(self, agent: Agent, hostname: str, principal: str) -> None:
        """Refuses a claim of a known agent's id by someone else: a copy of its
        work dir on another host would otherwise take the id back and forth."""
        if self._config.authenticate and agent.principal and agent.principal != principal:
            refusal = (
                f"agent {agent.agent_id} is registered by principal {agent.principal!r}, "
                f"not {principal!r}: give this agent a fresh work dir"
            )
            log.warning(
                "registration refused: %s",
                refusal,
                extra={"agent_id": agent.agent_id, "hostname": hostname},
            )
            raise MasterError(ErrorKind.PERMISSION_DENIED, refusal)
        if hostname == agent.hostname:
            return
        if agent.connected or agent.agent_id in self._links.agents:
            refusal = (
                f"agent {agent.agent_id} is connected from {agent.hostname}; a second agent "
                f"claims it from {hostname}: give this one a fresh work dir"
            )
        else:
            refusal = (
                f"agent {agent.agent_id} was registered from {agent.hostname}; an agent claims "
                f"it from {hostname}: give this one a fresh work dir, or, if {agent.hostname} "
                f"was rebuilt as {hostname}, run `offerctl agent remove {agent.agent_id}` first"
            )
        log.warning(
            "registration refused: %s",
            refusal,
            extra={"agent_id": agent.agent_id, "hostname": hostname},
        )
        raise MasterError(ErrorKind.FAILED_PRECONDITION, refusal)

    def _reconcile(
        self, agent: Agent, known: Sequence[TaskStatus]
    ) -> tuple[list[tuple[Task, TaskStatus]], list[TaskKey]]:
        """Tasks the master expects but the agent does not know become LOST;
        live tasks the agent runs but the master does not expect are returned
        to be killed. Tasks the agent reports as ended keep their state here
        until the agent's own final update arrives."""
        reported = {(s.framework_id, s.task_id): s for s in known}
        lost = []
        for task in self._state.live_tasks_on(agent):
            if task.key not in reported:
                update = self._status(
                    task,
                    TaskState.LOST,
                    StatusReason.AGENT_RESTARTED,
                    "the agent re-registered without this task",
                )
                self._state.set_status(task, update)
                lost.append((task, update))
        expected = {t.key for t in self._state.live_tasks_on(agent)}
        strays = sorted(
            key for key, s in reported.items() if not s.state.is_terminal and key not in expected
        )
        return lost, strays

    def disconnected(self, agent_id: str, link: Outbox[AgentCommand]) -> None:
        """The agent's stream `link` ended: lost unless back in time."""
        if not self._links.detach_agent(agent_id, link):
            return  # an older stream of an agent that has reconnected since
        self._state.set_connected(self._state.agents[agent_id], False)
        self._offers.rescind_on_agent(agent_id)
        self._timers.arm_agent_timeout(agent_id)
        self._events.publish(
            EventKind.AGENT_DISCONNECTED,
            f"agent {agent_id} disconnected; lost unless back within "
            f"{self._config.agent_timeout:g}s",
            agent_id=agent_id,
        )
        self._metrics.agent_disconnections.inc()
        log.warning(
            "agent %s disconnected; lost unless back within %gs",
            agent_id,
            self._config.agent_timeout,
            extra={"agent_id": agent_id},
        )

    async def timed_out(self, agent_id: str) -> None:
        """The agent timeout: a disconnected agent is lost, its tasks LOST."""
        agent = self._state.agents[agent_id]
        if agent.connected or agent.lost:
            return
        agent.lost = True
        changed = self._lose_live_tasks(
            agent, f"was lost: no contact for {self._config.agent_timeout:g}s"
        )
        await self._store.write(
            agents=[agent], tasks=[t for t, _ in changed], updates=[u for _, u in changed]
        )
        self._metrics.agents_lost.inc()
        log.warning(
            "agent %s (%s) lost; %d tasks LOST",
            agent_id,
            agent.hostname,
            len(changed),
            extra={"agent_id": agent_id, "hostname": agent.hostname},
        )
        self._events.publish(
            EventKind.AGENT_LOST,
            f"agent {agent_id} ({agent.hostname}) was lost; {len(changed)} tasks LOST",
            agent_id=agent_id,
        )
        self._links.tell_all(AgentFailed(agent_id))
        for task, update in changed:
            self._parts.forward(task, update)
        # Its frameworks' shares fell: the order of the next offers may change.
        self._allocation.request()

    async def remove(self, agent_id: str) -> None:
        """An operator forgets an agent that is not connected (Mesos's
        /machine/down then removal): its live tasks become LOST as on agent
        loss, and it is deleted from memory and the store, so that its id or
        a rebuilt host registers anew."""
        agent = self._agent(agent_id)
        if agent.connected or agent_id in self._links.agents or agent_id in self._registering:
            raise MasterError(
                ErrorKind.FAILED_PRECONDITION,
                f"agent {agent_id} is connected from {agent.hostname}; only an agent that "
                "is not connected can be removed: stop it first",
            )
        changed = self._lose_live_tasks(agent, "was removed by an operator")
        self._offers.rescind_on_agent(agent_id)
        self._timers.cancel_agent_timeout(agent_id)
        self._timers.cancel_drain(agent_id)
        # Not connected, so not part of the active total: nothing else to undo.
        self._state.remove_agent(agent_id)
        await self._store.write(
            tasks=[t for t, _ in changed],
            updates=[u for _, u in changed],
            removed_agents=[agent_id],
        )
        self._metrics.agents_removed.inc()
        log.warning(
            "agent %s (%s) removed by an operator; %d tasks LOST",
            agent_id,
            agent.hostname,
            len(changed),
            extra={"agent_id": agent_id, "hostname": agent.hostname},
        )
        self._events.publish(
            EventKind.AGENT_LOST,
            f"agent {agent_id} ({agent.hostname}) was removed by an operator; "
            f"{len(changed)} tasks LOST",
            agent_id=agent_id,
        )
        if not agent.lost:
            self._links.tell_all(AgentFailed(agent_id))
        for task, update in changed:
            self._parts.forward(task, update)
        self._allocation.request()

    def _lose_live_tasks(self, agent: Agent, why: str) -> list[tuple[Task, TaskStatus]]:
        """Makes the agent's live tasks LOST (in memory: the caller writes
        them), saying the agent `why`; returns each with its update."""
        changed = []
        for task in self._state.live_tasks_on(agent):
            update = self._status(
                task,
                TaskState.LOST,
                StatusReason.AGENT_LOST,
                f"agent {agent.agent_id} ({agent.hostname}) {why}",
            )
            self._state.set_status(task, update)
            self._links.forget_kill(task.key)
            changed.append((task, update))
        return changed

    async def status_updates(self, agent_id: str, statuses: Sequence[TaskStatus]) -> None:
        """Updates from an agent, oldest first: persisted together,
        acknowledged to the agent, then forwarded to their frameworks.
        Re-sent updates are acknowledged again and otherwise ignored."""
        link = self._links.agents.get(agent_id)
        settled: list[str] = []
        changed: list[tuple[Task, TaskStatus]] = []
        for status in statuses:
            task = self._state.tasks.get((status.framework_id, status.task_id))
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
            if self._state.set_status(task, status):
                self._links.forget_kill(task.key)
                self._allocation.request(agent_ids=(agent_id,))
            changed.append((task, status))
        # Written even when nothing changed: a re-sent update's first copy may
        # still be on its way to disk, and the agent must not forget it before.
        tasks = list(dict.fromkeys(task for task, _ in changed))
        await self._store.write(tasks=tasks, updates=[status for _, status in changed])
        link = self._links.agents.get(agent_id)  # the agent may have reconnected meanwhile
        if link is not None:
            settled += [status.uuid for _, status in changed]
            link.send(UpdatesPersisted(tuple(settled)))
        forwarded = time.time()  # the agents' stamps are their wall clocks
        latency = self._metrics.status_update_latency
        for task, status in changed:
            self._parts.forward(task, status)
            latency.observe(max(0.0, forwarded - status.timestamp))

    async def drain(self, agent_id: str, deadline_seconds: float) -> None:
        """Maintenance: no more offers for the agent; its tasks are killed
        once `deadline_seconds` have passed (frameworks may move them first)."""
        agent = self._agent(agent_id)
        if not deadline_seconds >= 0:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "deadline_seconds must be >= 0")
        deadline = self._clock() + deadline_seconds
        self._state.set_drain_deadline(agent, deadline)
        self._offers.rescind_on_agent(agent_id)
        await self._store.write(agents=[agent])
        self._timers.arm_drain(agent_id, deadline)
        self._events.publish(
            EventKind.AGENT_DRAINING,
            f"agent {agent_id} is draining; its tasks are killed in {deadline_seconds:g}s",
            agent_id=agent_id,
        )
        log.info(
            "agent %s draining; its tasks are killed in %gs",
            agent_id,
            deadline_seconds,
            extra={"agent_id": agent_id},
        )

    def drain_expired(self, agent_id: str) -> None:
        """The drain deadline: the agent's tasks are killed."""
        agent = self._state.agents[agent_id]
        if agent.drain_deadline is None:
            return
        for task in self._state.live_tasks_on(agent):
            self._links.kill(task, StatusReason.AGENT_DRAINED)

    async def reactivate(self, agent_id: str) -> None:
        """Ends a drain: the agent is offered again."""
        agent = self._agent(agent_id)
        self._state.set_drain_deadline(agent, None)
        self._timers.cancel_drain(agent_id)
        await self._store.write(agents=[agent])
        self._events.publish(
            EventKind.AGENT_REACTIVATED, f"agent {agent_id} is active again", agent_id=agent_id
        )
        log.info("agent %s reactivated", agent_id, extra={"agent_id": agent_id})
        self._allocation.request(agent_ids=(agent_id,))

    def engine_changed(self, agent_id: str, available: bool, message: str) -> None:
        """An agent lost or regained its container engine: no offers of it
        meanwhile (the state is the agent's to report again after a restart)."""
        agent = self._state.agents.get(agent_id)
        if agent is None:
            return
        was = agent.engine_problem
        self._state.set_engine_problem(agent, "" if available else (message or "unavailable"))
        if available:
            log.info(
                "agent %s can reach its container engine again",
                agent_id,
                extra={"agent_id": agent_id},
            )
            if was:
                self._events.publish(
                    EventKind.AGENT_ENGINE_AVAILABLE,
                    f"agent {agent_id} can reach its container engine again",
                    agent_id=agent_id,
                )
            self._allocation.request(agent_ids=(agent_id,))
            return
        log.warning(
            "agent %s cannot reach its container engine: %s",
            agent_id,
            message,
            extra={"agent_id": agent_id},
        )
        if not was:
            self._events.publish(
                EventKind.AGENT_ENGINE_UNAVAILABLE,
                f"agent {agent_id} cannot reach its container engine: {agent.engine_problem}",
                agent_id=agent_id,
            )
        self._offers.rescind_on_agent(agent_id)

    def record_usage(
        self,
        agent_id: str,
        machine: Usage,
        tasks: dict[TaskKey, Usage],
        slack: Resources | None = None,
    ) -> None:
        """Telemetry from an agent: kept in memory for operators, not persisted;
        and its revocable slack (docs/revocable.md), which is lent out."""
        agent = self._state.agents.get(agent_id)
        if agent is None:
            return
        agent.usage = machine
        for key, usage in tasks.items():
            task = self._state.tasks.get(key)
            if task is not None and task.agent_id == agent_id:
                task.usage = usage
        if slack is not None:
            self._record_slack(agent, slack)

    def _record_slack(self, agent: Agent, slack: Resources) -> None:
        # Within what the agent has: a report beyond it (or not a number) is
        # the agent's mistake, never a loan of what does not exist.
        cpus, mem = slack.cpus, slack.mem
        if not (math.isfinite(cpus) and math.isfinite(mem)):
            cpus = mem = 0.0
        self._state.set_slack(
            agent, Resources(min(cpus, agent.total.cpus), min(mem, agent.total.mem))
        )
        lent = agent.revocable_held + agent.revocable_offered
        if (
            not agent.slack.contains(lent.without_ports())
            and not agent.revocable_offered.is_empty()
        ):
            # Less to lend than is on offer: those offers go (the agent itself
            # preempts tasks that hold more than the slack).
            for offer in self._state.offers_where(agent_id=agent.agent_id):
                if not offer.revocable.is_empty():
                    self._offers.rescind(offer)
        elif agent.revocable_offered.is_empty() and is_allocatable(
            agent.slack - agent.revocable_held
        ):
            self._allocation.lend(agent.agent_id)

    def _agent(self, agent_id: str) -> Agent:
        agent = self._state.agents.get(agent_id)
        if agent is None:
            raise MasterError(ErrorKind.NOT_FOUND, f"no agent {agent_id!r} is known")
        return agent

    def _status(
        self, task: Task, state: TaskState, reason: StatusReason, message: str
    ) -> TaskStatus:
        return TaskStatus(
            task.task_id,
            task.framework_id,
            task.agent_id,
            state,
            reason,
            message,
            timestamp=self._clock(),
        )
