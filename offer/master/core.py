"""The master core: the one place where cluster state changes.

Every call runs on the master's single asyncio loop and follows one order:
validate against the current state, change the in-memory state (with no
await in between, so no other call can interleave), await the state store
until the change is durable, and only then tell anyone (reply, forward an
update, send a launch). Validation failures raise MasterError before
anything has changed.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from offer.master.allocator import (
    AgentSlot,
    AllocationInput,
    FrameworkDemand,
    allocate,
)
from offer.master.cluster import DEFAULT_ROLE, Agent, Framework, Offer, Task, TaskKey
from offer.master.links import (
    AgentCommand,
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
from offer.master.store import StateStore
from offer.master.validation import check_agent_total, check_role, check_tasks
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus

log = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class ErrorKind(enum.Enum):
    INVALID_ARGUMENT = "invalid argument"
    NOT_FOUND = "not found"
    FAILED_PRECONDITION = "failed precondition"


class MasterError(Exception):
    """A refused call. Nothing was changed. The message says what to do."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class MasterConfig:
    # Allocation runs this long after the first change that wants it, so that
    # a burst of changes costs one cycle.
    allocation_delay: float = 0.005
    # ... and at least this often, so that expired filters are noticed.
    allocation_interval: float = 1.0
    heartbeat_interval: float = 15.0
    default_refuse_seconds: float = 5.0
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
        self.agents: dict[str, Agent] = {}
        self.frameworks: dict[str, Framework] = {}
        self.tasks: dict[TaskKey, Task] = {}
        self.offers: dict[str, Offer] = {}
        self._agent_links: dict[str, Outbox[AgentCommand]] = {}
        self._framework_links: dict[str, Outbox[FrameworkEvent]] = {}
        # Offer ids must never repeat, even across restarts: a stale id from
        # before a restart must not name a new offer.
        self._offer_ids = (f"{secrets.token_hex(4)}-O{n}" for n in itertools.count(1))
        self._allocation_wanted = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []

    # ----------------------------------------------------------------- life

    async def start(self) -> None:
        snapshot = await asyncio.to_thread(self.store.load)
        await self.store.start()
        for agent in snapshot.agents:
            self.agents[agent.agent_id] = agent
        for fw in snapshot.frameworks:
            self.frameworks[fw.framework_id] = fw
        for task in snapshot.tasks:
            self._index_task(task)
        for fid, updates in snapshot.unacked.items():
            if fid in self.frameworks:
                self.frameworks[fid].unacked = {u.uuid: u for u in updates}
        self._loops = [
            asyncio.create_task(self._allocation_loop(), name="allocation"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
        ]
        log.info(
            "master state loaded: %d agents, %d frameworks, %d tasks",
            len(self.agents),
            len(self.frameworks),
            len(self.tasks),
        )

    async def stop(self) -> None:
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
        running: Sequence[TaskStatus],
        link: Outbox[AgentCommand],
    ) -> Agent:
        """Registers a new agent (empty id) or takes back a known one."""
        problem = check_agent_total(total) or (
            None
            if not agent_id or _NAME_RE.match(agent_id)
            else f"agent id {agent_id!r} is malformed"
        )
        if problem:
            link.send(AgentRefused(problem))
            link.close()
            raise MasterError(ErrorKind.INVALID_ARGUMENT, problem)
        now = self.clock()
        agent = self.agents.get(agent_id) if agent_id else None
        if agent is None:
            agent = Agent(agent_id or f"agent-{secrets.token_hex(6)}", hostname, total, now)
            self.agents[agent.agent_id] = agent
        agent.hostname, agent.total = hostname, total
        lost, strays = self._reconcile_agent(agent, running)
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
        for task, update in lost:
            self._forward(task, update)
        log.info("agent %s registered from %s with %s", agent.agent_id, hostname, total)
        self._want_allocation()
        return agent

    def _reconcile_agent(
        self, agent: Agent, running: Sequence[TaskStatus]
    ) -> tuple[list[tuple[Task, TaskStatus]], list[TaskKey]]:
        """Tasks the master expects but the agent lacks become LOST; tasks the
        agent runs but the master does not expect are returned to be killed."""
        reported = {(s.framework_id, s.task_id) for s in running}
        lost = []
        for key in sorted(agent.tasks):
            task = self.tasks[key]
            if task.is_live and key not in reported:
                update = self._status(
                    task,
                    TaskState.LOST,
                    StatusReason.AGENT_RESTARTED,
                    "the agent re-registered without this task",
                )
                self._apply_status(task, update)
                lost.append((task, update))
        strays = [
            k
            for k in reported
            if k not in self.tasks
            or not self.tasks[k].is_live
            or self.tasks[k].agent_id != agent.agent_id
        ]
        return lost, strays

    def agent_disconnected(self, agent_id: str, link: Outbox[AgentCommand]) -> None:
        if self._agent_links.get(agent_id) is not link:
            return  # an older stream of an agent that has reconnected since
        del self._agent_links[agent_id]
        agent = self.agents[agent_id]
        agent.connected = False
        for offer in [o for o in self.offers.values() if o.agent_id == agent_id]:
            self._remove_offer(offer, rescind=True)
        log.warning("agent %s disconnected", agent_id)

    async def status_update(self, agent_id: str, status: TaskStatus) -> None:
        """An update from an agent: persisted, acknowledged to the agent,
        then forwarded to the framework. Duplicates are acknowledged again."""
        link = self._agent_links.get(agent_id)
        task = self.tasks.get((status.framework_id, status.task_id))
        if task is None or task.agent_id != agent_id:
            if link is not None:
                link.send(UpdatePersisted(status.uuid))
                if not status.state.is_terminal:
                    link.send(KillTask(status.framework_id, status.task_id))
            return
        if task.status.uuid == status.uuid or not task.is_live:
            if link is not None:
                link.send(UpdatePersisted(status.uuid))
            return
        status = replace(status, agent_id=agent_id)
        self._apply_status(task, status)
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
        if failover_timeout < 0:
            raise MasterError(ErrorKind.INVALID_ARGUMENT, "failover_timeout must be >= 0")
        if framework_id:
            fw = self.frameworks.get(framework_id)
            if fw is None or fw.removed:
                raise MasterError(
                    ErrorKind.NOT_FOUND,
                    f"framework {framework_id} is not known to this master or was torn down; "
                    "subscribe without a framework id to register anew",
                )
        else:
            fw = Framework(
                framework_id=f"fw-{secrets.token_hex(6)}",
                name=name or "unnamed",
                role=role,
                user=user,
                failover_timeout=failover_timeout or self.config.default_failover_timeout,
                registered_at=self.clock(),
            )
            self.frameworks[fw.framework_id] = fw
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
        self._want_allocation()
        return fw

    def framework_disconnected(self, framework_id: str, link: Outbox[FrameworkEvent]) -> None:
        if self._framework_links.get(framework_id) is not link:
            return
        del self._framework_links[framework_id]
        fw = self.frameworks[framework_id]
        fw.connected = False
        self._drop_offers_of(fw)
        log.info("framework %s disconnected", framework_id)
        self._want_allocation()

    async def accept(
        self,
        framework_id: str,
        offer_ids: Sequence[str],
        specs: Sequence[TaskSpec],
        refuse_seconds: float | None,
    ) -> list[Task]:
        fw = self._subscribed(framework_id)
        offers = self._outstanding(fw, offer_ids)
        agent = self.agents[offers[0].agent_id]
        pooled = sum((o.resources for o in offers), Resources())
        problem = check_tasks(specs, pooled, used=lambda tid: (framework_id, tid) in self.tasks)
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
            self._index_task(task)
            tasks.append(task)
        used = sum((s.resources for s in specs), Resources())
        self._refuse(fw, agent.agent_id, pooled - used, refuse_seconds)
        # STAGING is recorded but never forwarded, so it needs no acknowledgement.
        await self.store.write(
            tasks=tasks, updates=[t.status for t in tasks], acks=[t.status.uuid for t in tasks]
        )
        link = self._agent_links.get(agent.agent_id)
        for task in tasks:
            if link is not None:
                link.send(LaunchTask(framework_id, task.spec))
        self._want_allocation()
        return tasks

    def decline(
        self, framework_id: str, offer_ids: Sequence[str], refuse_seconds: float | None
    ) -> None:
        fw = self._subscribed(framework_id)
        offers = self._outstanding(fw, offer_ids, same_agent=False)
        for offer in offers:
            self._remove_offer(offer, rescind=False)
            self._refuse(fw, offer.agent_id, offer.resources, refuse_seconds)
        self._want_allocation()

    def revive(self, framework_id: str) -> None:
        fw = self._subscribed(framework_id)
        fw.refusals.clear()
        fw.suppressed = False
        self._want_allocation()

    def suppress(self, framework_id: str) -> None:
        fw = self._subscribed(framework_id)
        fw.suppressed = True
        self._drop_offers_of(fw)

    async def kill(self, framework_id: str, task_id: str) -> None:
        fw = self._known(framework_id)
        task = self.tasks.get((fw.framework_id, task_id))
        if task is None:
            raise MasterError(
                ErrorKind.NOT_FOUND, f"task {task_id!r} is not known for framework {framework_id}"
            )
        if not task.is_live:
            return
        link = self._agent_links.get(task.agent_id)
        if link is not None:
            link.send(KillTask(framework_id, task_id, task.spec.kill_grace_seconds))

    async def acknowledge(self, framework_id: str, uuid: str) -> None:
        fw = self._known(framework_id)
        if fw.unacked.pop(uuid, None) is None:
            raise MasterError(
                ErrorKind.NOT_FOUND,
                f"no unacknowledged update {uuid!r} for framework {framework_id}",
            )
        await self.store.write(acks=[uuid])

    def reconcile(self, framework_id: str, task_ids: Sequence[str]) -> None:
        fw = self._subscribed(framework_id)
        link = self._framework_links[framework_id]
        keys = [(framework_id, t) for t in task_ids] or [
            k for k in sorted(fw.tasks) if self.tasks[k].is_live
        ]
        for key in keys:
            task = self.tasks.get(key)
            if task is None:
                answer = TaskStatus(
                    key[1],
                    framework_id,
                    "",
                    TaskState.UNKNOWN,
                    StatusReason.RECONCILIATION,
                    "the master does not know this task",
                    timestamp=self.clock(),
                    uuid="",
                )
            else:
                answer = replace(task.status, reason=StatusReason.RECONCILIATION, uuid="")
            link.send(StatusChanged(answer))

    async def teardown(self, framework_id: str) -> None:
        fw = self._known(framework_id)
        fw.removed = True
        self._drop_offers_of(fw)
        for key in sorted(fw.tasks):
            task = self.tasks[key]
            link = self._agent_links.get(task.agent_id)
            if task.is_live and link is not None:
                link.send(KillTask(framework_id, task.spec.task_id, task.spec.kill_grace_seconds))
        await self.store.write(frameworks=[fw])
        fw_link = self._framework_links.pop(framework_id, None)
        fw.connected = False
        if fw_link is not None:
            fw_link.send(SubscriptionEnded("the framework was torn down"))
            fw_link.close()
        log.info("framework %s torn down", framework_id)

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
        now = self.clock()
        agents = [a for a in self.agents.values() if a.connected]
        frameworks = [f for f in self.frameworks.values() if f.connected and not f.removed]
        refusals = {}
        for fw in frameworks:
            fw.refusals = {a: r for a, r in fw.refusals.items() if r[0] > now}
            refusals.update({(fw.framework_id, a): r for a, r in fw.refusals.items()})
        plans = allocate(
            AllocationInput(
                agents=[AgentSlot(a.agent_id, a.free) for a in agents],
                frameworks=[
                    FrameworkDemand(f.framework_id, f.role, f.allocated + f.offered, f.suppressed)
                    for f in frameworks
                ],
                total=sum((a.total for a in agents), Resources()),
                now=now,
                weights=self.config.weights,
                refusals=refusals,
            )
        )
        made: dict[str, list[Offer]] = {}
        for plan in plans:
            agent = self.agents[plan.agent_id]
            offer = Offer(
                next(self._offer_ids),
                plan.framework_id,
                plan.agent_id,
                agent.hostname,
                plan.resources,
                now,
            )
            self.offers[offer.offer_id] = offer
            agent.offered += offer.resources
            self.frameworks[offer.framework_id].offered += offer.resources
            made.setdefault(offer.framework_id, []).append(offer)
        for fid, offers in made.items():
            self._framework_links[fid].send(OffersMade(tuple(offers)))

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_interval)
            for link in self._framework_links.values():
                link.send(Heartbeat())

    # -------------------------------------------------------------- helpers

    def _known(self, framework_id: str) -> Framework:
        fw = self.frameworks.get(framework_id)
        if fw is None or fw.removed:
            raise MasterError(ErrorKind.NOT_FOUND, f"framework {framework_id!r} is not known")
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
            offer = self.offers.get(offer_id)
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
        del self.offers[offer.offer_id]
        self.agents[offer.agent_id].offered -= offer.resources
        self.frameworks[offer.framework_id].offered -= offer.resources
        link = self._framework_links.get(offer.framework_id)
        if rescind and link is not None:
            link.send(OfferRescinded(offer.offer_id))
        self._want_allocation()

    def _drop_offers_of(self, fw: Framework) -> None:
        for offer in [o for o in self.offers.values() if o.framework_id == fw.framework_id]:
            self._remove_offer(offer, rescind=False)

    def _refuse(
        self, fw: Framework, agent_id: str, amount: Resources, refuse_seconds: float | None
    ) -> None:
        seconds = self.config.default_refuse_seconds if refuse_seconds is None else refuse_seconds
        if seconds > 0 and not amount.is_empty():
            fw.refusals[agent_id] = (self.clock() + seconds, amount)

    def _index_task(self, task: Task) -> None:
        self.tasks[task.key] = task
        fw = self.frameworks.get(task.framework_id)
        agent = self.agents.get(task.agent_id)
        if fw is not None:
            fw.tasks.add(task.key)
        if agent is not None:
            agent.tasks.add(task.key)
        if task.is_live:
            if fw is not None:
                fw.allocated += task.spec.resources
            if agent is not None:
                agent.allocated += task.spec.resources

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

    def _apply_status(self, task: Task, status: TaskStatus) -> None:
        was_live = task.is_live
        task.status = status
        if was_live and not task.is_live:
            self.agents[task.agent_id].allocated -= task.spec.resources
            self.frameworks[task.framework_id].allocated -= task.spec.resources
            self._want_allocation()

    def _forward(self, task: Task, status: TaskStatus) -> None:
        fw = self.frameworks.get(task.framework_id)
        if fw is None or fw.removed:
            return
        fw.unacked[status.uuid] = status
        link = self._framework_links.get(fw.framework_id)
        if link is not None:
            link.send(StatusChanged(status))

    # ---------------------------------------------------------------- views

    def agents_view(self) -> list[Agent]:
        return sorted(self.agents.values(), key=lambda a: a.registered_at)

    def frameworks_view(self) -> list[Framework]:
        return sorted(self.frameworks.values(), key=lambda f: f.registered_at)

    def tasks_view(self, framework_id: str = "") -> list[Task]:
        tasks: Iterable[Task] = self.tasks.values()
        if framework_id:
            tasks = (t for t in tasks if t.framework_id == framework_id)
        return sorted(tasks, key=lambda t: t.created_at, reverse=True)

    def cluster_total(self) -> Resources:
        return sum((a.total for a in self.agents.values() if a.connected), Resources())
