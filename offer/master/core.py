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
import contextlib
import enum
import itertools
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from offer.master.cluster import DEFAULT_ROLE, Agent, Framework, Offer, Task, TaskKey, Usage
from offer.master.links import (
    AgentCommand,
    AgentFailed,
    AgentRefused,
    AgentRegistered,
    FrameworkEvent,
    Heartbeat,
    KillTask,
    LaunchTask,
    OfferRescinded,
    OffersMade,
    Outbox,
    StatusChanged,
    Subscribed,
    SubscriptionEnded,
    UpdatePersisted,
)
from offer.master.offers import make_offers, offers_to_reclaim
from offer.master.state import ClusterState
from offer.master.store import StateStore
from offer.master.timers import Timers
from offer.master.validation import check_agent_total, check_role, check_tasks
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus

log = logging.getLogger(__name__)

_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class ErrorKind(enum.Enum):
    INVALID_ARGUMENT = "invalid argument"
    NOT_FOUND = "not found"
    FAILED_PRECONDITION = "failed precondition"
    UNAVAILABLE = "unavailable"


class MasterError(Exception):
    """A refused call. Nothing was changed. The message says what to do."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class MasterConfig:
    # Allocation runs this long after the first change that wants it, so that
    # a burst of changes costs one cycle...
    allocation_delay: float = 0.005
    # ... and at least this often, so that expired filters are noticed.
    allocation_interval: float = 1.0
    heartbeat_interval: float = 15.0
    default_refuse_seconds: float = 5.0
    # An offer not answered within this is rescinded.
    offer_timeout: float = 60.0
    # An agent without a stream for this long is lost; its tasks become LOST.
    agent_timeout: float = 60.0
    # Unlike Mesos's 0, long enough for frameworks to survive a master restart.
    default_failover_timeout: float = 7 * 24 * 3600.0
    # Role -> weight for DRF.
    weights: dict[str, float] = field(default_factory=dict)


class Master:
    def __init__(
        self,
        store: StateStore,
        config: MasterConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.config = config or MasterConfig()
        self.clock = clock
        self.started_at = clock()
        self.state = ClusterState()
        self._agent_links: dict[str, Outbox[AgentCommand]] = {}
        self._framework_links: dict[str, Outbox[FrameworkEvent]] = {}
        # Kills for tasks whose agent is disconnected, sent when it returns.
        self._pending_kills: dict[TaskKey, StatusReason] = {}
        # Frameworks that (re)subscribed or revived and have had no offer yet.
        self._awaiting_offers: set[str] = set()
        # Offer ids must never repeat, even across restarts: a stale id from
        # before a restart must not name a new offer.
        self._offer_ids = (f"{secrets.token_hex(4)}-O{n}" for n in itertools.count(1))
        self._allocation_wanted = asyncio.Event()
        self._timers = Timers()
        self._loops: list[asyncio.Task[None]] = []

    # ----------------------------------------------------------------- life

    async def start(self) -> None:
        """Loads the persisted state; every agent and framework starts out
        disconnected, with its timeout running, until it comes back."""
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
        for task in snapshot.tasks:
            self.state.add_task(task, snapshot.seen.get(task.key, ()))
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

    async def stop(self) -> None:
        await self._timers.close()
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        for agent_link in self._agent_links.values():
            agent_link.close()
        for framework_link in self._framework_links.values():
            framework_link.close()
        await self.store.close()

    # --------------------------------------------------------------- agents

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
        problem = check_agent_total(total)
        if agent_id and not _ID_RE.match(agent_id):
            problem = f"agent id {agent_id!r} is malformed"
        if problem:
            link.send(AgentRefused(problem))
            link.close()
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        agent = self.state.agents.get(agent_id) if agent_id else None
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
        link.send(AgentRegistered(agent.agent_id))
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
        for offer in self.state.offers_where(agent_id=agent_id):
            self._remove_offer(offer, rescind=True)
        self._timers.set(
            f"agent:{agent_id}", self.config.agent_timeout, self._agent_timed_out, agent_id
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
        for fw_link in self._framework_links.values():
            fw_link.send(AgentFailed(agent_id))
        for task, update in changed:
            self._forward(task, update)
        self._want_allocation()

    async def status_update(self, agent_id: str, status: TaskStatus) -> None:
        """An update from an agent: persisted, acknowledged to the agent,
        then forwarded to the framework. Re-sent updates are acknowledged
        again and otherwise ignored."""
        link = self._agent_links.get(agent_id)
        task = self.state.tasks.get((status.framework_id, status.task_id))
        if task is None or task.agent_id != agent_id:
            if link is not None:
                link.send(UpdatePersisted(status.uuid))
                if not status.state.is_terminal:
                    link.send(KillTask(status.framework_id, status.task_id))
            return
        if not task.is_live or status.uuid in task.seen_updates:
            if link is not None:
                link.send(UpdatePersisted(status.uuid))
            return
        status = replace(status, agent_id=agent_id)
        if self.state.set_status(task, status):
            self._pending_kills.pop(task.key, None)
            self._want_allocation()
        await self.store.write(tasks=[task], updates=[status])
        if link is not None:
            link.send(UpdatePersisted(status.uuid))
        self._forward(task, status)

    # ----------------------------------------------------------- frameworks

    async def subscribe(
        self,
        framework_id: str,
        name: str,
        role: str,
        user: str,
        failover_timeout: float,
        link: Outbox[FrameworkEvent],
    ) -> Framework:
        role = role or DEFAULT_ROLE
        problem = check_role(role)
        if problem:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        if not failover_timeout >= 0:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "failover_timeout must be >= 0")
        if framework_id:
            fw = self._known(framework_id)
            fw.name = name or fw.name
            fw.failover_timeout = failover_timeout or fw.failover_timeout
        else:
            fw = Framework(
                framework_id=f"fw-{secrets.token_hex(6)}",
                name=name or "unnamed",
                role=role,
                user=user,
                failover_timeout=failover_timeout or self.config.default_failover_timeout,
                registered_at=self.clock(),
            )
            self.state.frameworks[fw.framework_id] = fw
        self._timers.cancel(f"framework:{fw.framework_id}")
        await self.store.write(frameworks=[fw])
        # Attached only once durable, so that SUBSCRIBED is the stream's first
        # event: an allocation during the write must not offer to this link.
        old = self._framework_links.pop(fw.framework_id, None)
        if old is not None:
            old.send(SubscriptionEnded("another subscription for this framework replaced this one"))
            old.close()
        self._drop_offers_of(fw)
        self._framework_links[fw.framework_id] = link
        fw.connected = True
        link.send(Subscribed(fw.framework_id, self.config.heartbeat_interval))
        for update in fw.unacked.values():
            link.send(StatusChanged(update))
        log.info("framework %s (%s, role %s) subscribed", fw.framework_id, fw.name, fw.role)
        self._awaiting_offers.add(fw.framework_id)
        self._want_allocation()
        return fw

    def framework_disconnected(self, framework_id: str, link: Outbox[FrameworkEvent]) -> None:
        if self._framework_links.get(framework_id) is not link:
            return
        del self._framework_links[framework_id]
        fw = self.state.frameworks[framework_id]
        fw.connected = False
        self._drop_offers_of(fw)
        if not fw.removed:
            self._timers.set(
                f"framework:{framework_id}",
                fw.failover_timeout,
                self._failover_expired,
                framework_id,
            )
        log.info(
            "framework %s disconnected; removed unless back within %gs",
            framework_id,
            fw.failover_timeout,
        )

    async def _failover_expired(self, framework_id: str) -> None:
        fw = self.state.frameworks[framework_id]
        if not fw.connected and not fw.removed:
            log.warning("framework %s did not return within its failover timeout", framework_id)
            await self._remove_framework(fw, "its failover timeout expired")

    async def accept(
        self,
        framework_id: str,
        offer_ids: Sequence[str],
        specs: Sequence[TaskSpec],
        refuse_seconds: float | None,
    ) -> list[Task]:
        fw = self._subscribed(framework_id)
        offers = self._outstanding(fw, offer_ids)
        agent = self.state.agents[offers[0].agent_id]
        pooled = sum((o.resources for o in offers), Resources())
        problem = check_tasks(
            specs, pooled, used=lambda tid: (framework_id, tid) in self.state.tasks
        )
        if problem:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        for offer in offers:
            self._remove_offer(offer, rescind=False)
        now = self.clock()
        tasks = []
        for spec in specs:
            status = TaskStatus(
                spec.task_id,
                framework_id,
                agent.agent_id,
                TaskState.STAGING,
                message="accepted; sending to the agent",
                timestamp=now,
            )
            task = Task(framework_id, agent.agent_id, spec, now, status)
            self.state.add_task(task)
            tasks.append(task)
        used = sum((s.resources for s in specs), Resources())
        self._refuse(fw, agent.agent_id, pooled - used, refuse_seconds)
        # STAGING is recorded but never forwarded, so it needs no acknowledgement.
        await self.store.write(
            tasks=tasks, updates=[t.status for t in tasks], acks=[t.status.uuid for t in tasks]
        )
        link = self._agent_links.get(agent.agent_id)
        if link is not None:
            for task in tasks:
                link.send(LaunchTask(framework_id, task.spec))
        return tasks

    def decline(
        self, framework_id: str, offer_ids: Sequence[str], refuse_seconds: float | None
    ) -> None:
        fw = self._subscribed(framework_id)
        for offer in self._outstanding(fw, offer_ids, same_agent=False):
            self._remove_offer(offer, rescind=False)
            self._refuse(fw, offer.agent_id, offer.resources, refuse_seconds)

    def revive(self, framework_id: str) -> None:
        fw = self._subscribed(framework_id)
        fw.refusals.clear()
        fw.suppressed = False
        self._awaiting_offers.add(framework_id)
        self._want_allocation()

    def suppress(self, framework_id: str) -> None:
        fw = self._subscribed(framework_id)
        fw.suppressed = True
        self._drop_offers_of(fw)

    def kill(self, framework_id: str, task_id: str) -> None:
        """Kills a live task; for any other the answer is an update with the
        task's state (TASK_UNKNOWN if the master never heard of it)."""
        fw = self._known(framework_id)
        task = self.state.tasks.get((fw.framework_id, task_id))
        if task is None:
            self._tell(framework_id, StatusChanged(self._unknown(framework_id, task_id)))
        elif not task.is_live:
            self._tell(framework_id, StatusChanged(replace(task.status, uuid="")))
        else:
            self._kill(task)

    async def acknowledge(self, framework_id: str, uuid: str) -> None:
        fw = self._known(framework_id)
        if fw.unacked.pop(uuid, None) is None:
            raise MasterError(
                ErrorKind.NOT_FOUND,
                f"no unacknowledged update {uuid!r} for framework {framework_id}",
            )
        await self.store.write(acks=[uuid])

    def reconcile(self, framework_id: str, task_ids: Sequence[str]) -> None:
        """Answers with each task's latest state (implicit: all live tasks)."""
        fw = self._subscribed(framework_id)
        if task_ids:
            tasks = [self.state.tasks.get((framework_id, t)) for t in task_ids]
            answers = [
                self._unknown(framework_id, tid) if task is None else task.status
                for tid, task in zip(task_ids, tasks, strict=True)
            ]
        else:
            answers = [t.status for t in self.state.live_tasks_of(fw)]
        for answer in answers:
            self._tell(
                framework_id,
                StatusChanged(replace(answer, reason=StatusReason.RECONCILIATION, uuid="")),
            )

    async def teardown(self, framework_id: str) -> None:
        await self._remove_framework(self._known(framework_id), "the framework was torn down")

    async def _remove_framework(self, fw: Framework, why: str) -> None:
        fw.removed = True
        self._timers.cancel(f"framework:{fw.framework_id}")
        self._drop_offers_of(fw)
        for task in self.state.live_tasks_of(fw):
            self._kill(task, StatusReason.FRAMEWORK_REMOVED)
        await self.store.write(frameworks=[fw])
        link = self._framework_links.pop(fw.framework_id, None)
        fw.connected = False
        if link is not None:
            link.send(SubscriptionEnded(why))
            link.close()
        log.info("framework %s removed: %s", fw.framework_id, why)

    # ----------------------------------------------------------- allocation

    def _want_allocation(self) -> None:
        self._allocation_wanted.set()

    async def _allocation_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._allocation_wanted.wait(), self.config.allocation_interval
                )
            await asyncio.sleep(self.config.allocation_delay)
            self._allocation_wanted.clear()
            try:
                self.allocate_now()
            except Exception:  # one bad cycle must not end allocation for good
                log.exception("allocation cycle failed")

    def allocate_now(self) -> None:
        """Runs one allocation cycle and sends the offers it makes."""
        made = make_offers(
            self.state, self.config.weights, self.clock(), lambda: next(self._offer_ids)
        )
        for fid, offers in made.items():
            for offer in offers:
                self._timers.set(
                    f"offer:{offer.offer_id}",
                    self.config.offer_timeout,
                    self._offer_expired,
                    offer.offer_id,
                )
            self._framework_links[fid].send(OffersMade(tuple(offers)))
        reclaim = offers_to_reclaim(self.state, self._awaiting_offers, set(made))
        self._awaiting_offers.clear()
        if reclaim:
            log.info("rescinding %d offers so that a new framework gets a share", len(reclaim))
        for offer in reclaim:
            self._remove_offer(offer, rescind=True)

    def _offer_expired(self, offer_id: str) -> None:
        offer = self.state.offers.get(offer_id)
        if offer is not None:
            self._remove_offer(offer, rescind=True)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_interval)
            for link in self._framework_links.values():
                link.send(Heartbeat())

    # -------------------------------------------------------------- helpers

    def _known(self, framework_id: str) -> Framework:
        fw = self.state.frameworks.get(framework_id)
        if fw is None or fw.removed:
            raise MasterError(
                ErrorKind.NOT_FOUND,
                f"framework {framework_id!r} is not known or was removed; "
                "subscribe without a framework id to register anew",
            )
        return fw

    def _subscribed(self, framework_id: str) -> Framework:
        fw = self._known(framework_id)
        if not fw.connected:
            raise MasterError(
                ErrorKind.FAILED_PRECONDITION,
                f"framework {framework_id} is not subscribed; open a Subscribe stream first",
            )
        return fw

    def _outstanding(
        self, fw: Framework, offer_ids: Sequence[str], same_agent: bool = True
    ) -> list[Offer]:
        if not offer_ids:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "offer_ids is empty; name at least one")
        if len(set(offer_ids)) != len(offer_ids):
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "offer_ids names an offer twice")
        offers = []
        for offer_id in offer_ids:
            offer = self.state.offers.get(offer_id)
            if offer is None or offer.framework_id != fw.framework_id:
                raise MasterError(
                    ErrorKind.NOT_FOUND,
                    f"offer {offer_id!r} is not outstanding for this framework (unknown, "
                    "already accepted or declined, or rescinded); wait for a new offer",
                )
            offers.append(offer)
        if same_agent and len({o.agent_id for o in offers}) > 1:
            raise MasterError(
                ErrorKind.INVALID_ARGUMENT, "offers accepted together must be on the same agent"
            )
        return offers

    def _remove_offer(self, offer: Offer, rescind: bool) -> None:
        self.state.remove_offer(offer)
        self._timers.cancel(f"offer:{offer.offer_id}")
        if rescind:
            self._tell(offer.framework_id, OfferRescinded(offer.offer_id))
        self._want_allocation()

    def _drop_offers_of(self, fw: Framework) -> None:
        for offer in self.state.offers_where(framework_id=fw.framework_id):
            self._remove_offer(offer, rescind=False)

    def _refuse(
        self, fw: Framework, agent_id: str, amount: Resources, refuse_seconds: float | None
    ) -> None:
        seconds = self.config.default_refuse_seconds if refuse_seconds is None else refuse_seconds
        if seconds > 0 and not amount.is_empty():
            fw.refusals[agent_id] = (self.clock() + seconds, amount)

    def _kill(self, task: Task, reason: StatusReason = StatusReason.KILLED_BY_REQUEST) -> None:
        """Asks the task's agent to kill it, now or when the agent returns."""
        link = self._agent_links.get(task.agent_id)
        if link is None:
            self._pending_kills[task.key] = reason
        else:
            link.send(
                KillTask(task.framework_id, task.spec.task_id, task.spec.kill_grace_seconds, reason)
            )

    def _status(
        self, task: Task, state: TaskState, reason: StatusReason, message: str
    ) -> TaskStatus:
        return TaskStatus(
            task.spec.task_id,
            task.framework_id,
            task.agent_id,
            state,
            reason,
            message,
            timestamp=self.clock(),
        )

    def _unknown(self, framework_id: str, task_id: str) -> TaskStatus:
        return TaskStatus(
            task_id,
            framework_id,
            "",
            TaskState.UNKNOWN,
            StatusReason.RECONCILIATION,
            "the master does not know this task",
            timestamp=self.clock(),
            uuid="",
        )

    def _tell(self, framework_id: str, event: FrameworkEvent) -> None:
        link = self._framework_links.get(framework_id)
        if link is not None:
            link.send(event)

    def _forward(self, task: Task, status: TaskStatus) -> None:
        """Hands a persisted update to its framework, keeping it until acknowledged."""
        fw = self.state.frameworks.get(task.framework_id)
        if fw is None or fw.removed:
            return
        fw.unacked[status.uuid] = status
        self._tell(fw.framework_id, StatusChanged(status))

    # ------------------------------------------------------------ operators

    def _agent(self, agent_id: str) -> Agent:
        agent = self.state.agents.get(agent_id)
        if agent is None:
            raise MasterError(ErrorKind.NOT_FOUND, f"no agent {agent_id!r} is known")
        return agent

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
        await self.store.write(agents=[agent])
        self._want_allocation()

    def engine_changed(self, agent_id: str, available: bool, message: str) -> None:
        """An agent lost or regained its container engine: no offers of it
        meanwhile (the state is the agent's to report again after a restart)."""
        agent = self.state.agents.get(agent_id)
        if agent is None:
            return
        agent.engine_problem = "" if available else (message or "unavailable")
        if available:
            log.info("agent %s can reach its container engine again", agent_id)
            self._want_allocation()
            return
        log.warning("agent %s cannot reach its container engine: %s", agent_id, message)
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

    def send_to_agent(self, agent_id: str, command: AgentCommand) -> bool:
        """Sends a command that changes no state (e.g. a log request);
        False if the agent is not connected."""
        link = self._agent_links.get(agent_id)
        if link is not None:
            link.send(command)
        return link is not None

    def find_task(self, task_id: str, framework_id: str = "") -> Task:
        """The task with this id; the framework is needed only when the id is
        used by several."""
        if framework_id:
            found = [
                self.state.tasks[k] for k in [(framework_id, task_id)] if k in self.state.tasks
            ]
        else:
            found = [t for t in self.state.tasks.values() if t.spec.task_id == task_id]
        if not found:
            raise MasterError(ErrorKind.NOT_FOUND, f"no task {task_id!r} is known")
        if len(found) > 1:
            raise MasterError(
                ErrorKind.FAILED_PRECONDITION,
                f"{len(found)} frameworks have a task {task_id!r}; name the framework too",
            )
        return found[0]

    # ---------------------------------------------------------------- views

    def agents_view(self) -> list[Agent]:
        return sorted(self.state.agents.values(), key=lambda a: a.registered_at)

    def frameworks_view(self) -> list[Framework]:
        return sorted(self.state.frameworks.values(), key=lambda f: f.registered_at)

    def tasks_view(self, framework_id: str = "") -> list[Task]:
        tasks = [
            t
            for t in self.state.tasks.values()
            if not framework_id or t.framework_id == framework_id
        ]
        return sorted(tasks, key=lambda t: t.created_at, reverse=True)
