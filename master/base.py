"""The master's shared machinery: configuration, refusals, the registry of
streams, the allocation loop and the helpers every call uses. The calls
themselves live in `agents` and `frameworks`; `core.Master` joins them."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from master.cluster import Agent, Framework, Offer, Task, TaskKey
from master.events import EventHub, EventKind
from master.links import (
    AgentCommand,
    FrameworkEvent,
    Heartbeat,
    KillTask,
    OfferRescinded,
    OffersMade,
    StatusChanged,
)
from master.offers import forget_expired_refusals, make_offers, offers_to_reclaim
from master.state import ClusterState
from master.store import StateStore
from master.timers import Timers
from offer.outbox import Outbox
from offer.resources import Resources
from offer.security.acl import Acls
from offer.tasks import StatusReason, TaskState, TaskStatus

log = logging.getLogger(__name__)


class ErrorKind(enum.Enum):
    INVALID_ARGUMENT = "invalid argument"
    PERMISSION_DENIED = "permission denied"
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
    # An offer at least this old may be rescinded early, so that a framework
    # that just subscribed gets a share (offers_to_reclaim).
    offer_reclaim_age: float = 1.0
    # An agent without a stream for this long is lost; its tasks become LOST.
    agent_timeout: float = 60.0
    # Unlike Mesos's 0, long enough for frameworks to survive a master restart.
    default_failover_timeout: float = 7 * 24 * 3600.0
    # Role -> weight for DRF.
    weights: dict[str, float] = field(default_factory=dict)
    # Authorization rules, and whether callers' principals are authenticated
    # (only then does a framework's principal own it).
    acls: Acls = field(default_factory=Acls)
    authenticate: bool = False


class MasterBase:
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
        # What operators watch (offerctl events): fed only after a change is durable.
        self.events = EventHub(clock)
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

    async def stop(self) -> None:
        self.events.close()
        await self._timers.close()
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        for agent_link in self._agent_links.values():
            agent_link.close()
        for framework_link in self._framework_links.values():
            framework_link.close()
        await self.store.close()

    # ----------------------------------------------------------- allocation

    def _want_allocation(self) -> None:
        self._allocation_wanted.set()

    async def _allocation_loop(self) -> None:
        purged_at = self.clock()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._allocation_wanted.wait(), self.config.allocation_interval
                )
            await asyncio.sleep(self.config.allocation_delay)
            self._allocation_wanted.clear()
            try:
                if self.clock() - purged_at >= self.config.allocation_interval:
                    purged_at = self.clock()
                    forget_expired_refusals(self.state, purged_at)
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
        reclaim, self._awaiting_offers = offers_to_reclaim(
            self.state,
            self._awaiting_offers,
            set(made),
            self.clock() - self.config.offer_reclaim_age,
        )
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
            grace = task.spec.kill_grace_seconds
            link.send(KillTask(task.framework_id, task.task_id, grace, reason))

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
        """Hands a persisted update to its framework, keeping it until
        acknowledged, and to operators' event watchers."""
        self._task_changed(task, status)
        fw = self.state.frameworks.get(task.framework_id)
        if fw is None or fw.removed:
            return
        fw.unacked[status.uuid] = status
        self._tell(fw.framework_id, StatusChanged(status))

    def _task_changed(self, task: Task, status: TaskStatus) -> None:
        text = f"task {task.task_id} is {status.state.name}"
        if status.healthy is not None:
            text += " (healthy)" if status.healthy else " (unhealthy)"
        self.events.publish(
            EventKind.TASK_CHANGED,
            f"{text}: {status.message}" if status.message else text,
            agent_id=task.agent_id,
            framework_id=task.framework_id,
            status=status,
        )

    def _agent(self, agent_id: str) -> Agent:
        agent = self.state.agents.get(agent_id)
        if agent is None:
            raise MasterError(ErrorKind.NOT_FOUND, f"no agent {agent_id!r} is known")
        return agent

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
        found = [
            t
            for t in self.state.tasks.values()
            if t.task_id == task_id and framework_id in ("", t.framework_id)
        ]
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

    def tasks_view(self, framework_id: str = "", agent_id: str = "") -> list[Task]:
        tasks = [
            t
            for t in self.state.tasks.values()
            if framework_id in ("", t.framework_id) and agent_id in ("", t.agent_id)
        ]
        return sorted(tasks, key=lambda t: t.created_at, reverse=True)

    def offers_view(self, framework_id: str = "", agent_id: str = "") -> list[Offer]:
        offers = self.state.offers_where(framework_id=framework_id, agent_id=agent_id)
        return sorted(offers, key=lambda o: (o.created_at, o.offer_id))
