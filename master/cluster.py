"""The master's domain objects: what it knows about agents, frameworks, tasks
and offers. Plain mutable dataclasses, changed only by `master.core`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from offer import wire
from offer.resources import Resources, Usage
from offer.tasks import TaskSpec, TaskStatus

DEFAULT_ROLE = "*"

TaskKey = tuple[str, str]
"""(framework_id, task_id): task ids are unique within a framework only."""

# Status changes kept per task (in memory and in the store): a life's usual
# handful, and the latest of a task whose health flaps for days.
HISTORY_LIMIT = 100


@dataclass
class Agent:
    agent_id: str
    hostname: str
    total: Resources
    registered_at: float
    connected: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    # No stream for longer than the agent timeout: its tasks were made LOST.
    lost: bool = False
    # Set while drained for maintenance: no offers; tasks killed at this time.
    drain_deadline: float | None = None
    # Why its container engine is unreachable ("" when it is fine): no offers.
    engine_problem: str = ""
    usage: Usage | None = None
    # Who first registered it (when agents are authenticated, the only
    # principal that may register with its id again).
    principal: str = ""
    # Where other hosts reach its tasks (an IP literal; "" from an agent
    # older than addresses): offers and operators are told it.
    address: str = ""
    # Role -> the part of `total` reserved for it (master.reserved): by the
    # agent's --resources as it last registered (static), and by frameworks'
    # RESERVE and operators (dynamic: the master's own record, persisted).
    # Never "*", never ports. Set through ClusterState.set_reservations.
    static_reserved: dict[str, Resources] = field(default_factory=dict)
    dynamic_reserved: dict[str, Resources] = field(default_factory=dict)
    # Both summed by role.
    reserved: dict[str, Resources] = field(default_factory=dict)
    # Role -> what its live tasks and outstanding offers here hold (no
    # ports), for the roles of `reserved` only: a role's holdings use its
    # reservation first, so min(held, reserved) of it is in use.
    held: dict[str, Resources] = field(default_factory=dict)
    # Held by the agent's non-terminal tasks.
    allocated: Resources = field(default_factory=Resources)
    # In outstanding offers. With `allocated`, never more than `total`.
    offered: Resources = field(default_factory=Resources)
    # Revocable resources (docs/revocable.md) are none of the three above: the
    # slack the agent last reported (cpus and mem), what its live revocable
    # tasks were launched with, and what outstanding offers' revocable parts
    # carry. What may still be lent is slack - revocable_held - revocable_offered.
    slack: Resources = field(default_factory=Resources)
    revocable_held: Resources = field(default_factory=Resources)
    revocable_offered: Resources = field(default_factory=Resources)
    tasks: set[TaskKey] = field(default_factory=set)
    # (total, allocated, offered, free) as of the last `free`: every cycle asks
    # every agent, and Resources are immutable, so unchanged inputs are the
    # same objects and the subtraction need not be redone.
    _free: tuple[Resources, Resources, Resources, Resources] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def free(self) -> Resources:
        cached = self._free
        if (
            cached is not None
            and cached[0] is self.total
            and cached[1] is self.allocated
            and cached[2] is self.offered
        ):
            return cached[3]
        free = self.total - self.allocated - self.offered
        self._free = (self.total, self.allocated, self.offered, free)
        return free

    @property
    def status(self) -> str:
        if self.connected:
            if self.engine_problem:
                return "engine unavailable"
            return "active" if self.drain_deadline is None else "draining"
        return "lost" if self.lost else "disconnected"


@dataclass
class Framework:
    framework_id: str
    name: str
    role: str
    user: str
    failover_timeout: float
    registered_at: float
    connected: bool = False
    # Torn down: its tasks were killed and it may not subscribe again.
    removed: bool = False
    suppressed: bool = False
    # Time of its latest offer, for fair tie-breaking between equal shares.
    last_offered: float = 0.0
    # HOST:PORT of its own control API, if it has one.
    control_address: str = ""
    # Who registered it (when callers are authenticated, the only one who may act for it).
    principal: str = ""
    allocated: Resources = field(default_factory=Resources)
    offered: Resources = field(default_factory=Resources)
    # Subscribed with FrameworkInfo.accepts_revocable: its offers may carry a
    # revocable part. Set at every subscription, not stored.
    accepts_revocable: bool = False
    # Its live revocable tasks and its offers' revocable parts: its share of
    # the revocable pool, counted in no DRF share of the main one nor quota.
    revocable: Resources = field(default_factory=Resources)
    # agent_id -> (until, amount): offers of no more than `amount` on that
    # agent are not made to this framework before `until` (Mesos's filters).
    refusals: dict[str, tuple[float, Resources]] = field(default_factory=dict)
    # The same for offers' revocable parts, apart: amounts of another pool.
    revocable_refusals: dict[str, tuple[float, Resources]] = field(default_factory=dict)
    # Updates sent but not yet acknowledged, in the order they were sent.
    unacked: dict[str, TaskStatus] = field(default_factory=dict)
    tasks: set[TaskKey] = field(default_factory=set)


class StoredUpdates(Protocol):
    """A recovered task's stored status updates, read when first needed."""

    def history(self) -> Iterable[TaskStatus]:
        """The last HISTORY_LIMIT, oldest first, ending with the task's status."""

    def uuids(self) -> Iterable[str]:
        """The uuids of all of them and of the task's status."""


@dataclass(init=False, eq=False, slots=True)
class Task:
    """A task the master knows of. Its spec never changes after launch.

    A master restart recovers every task in the store, and most are never
    looked at before they end: a recovered task keeps its spec as the JSON it
    was stored as, and its updates as the store read them, until first used.
    A launched task, too, keeps only its spec's JSON once it is stored.
    Its id and resources are known without the spec (the store keeps them in
    columns of their own).
    """

    framework_id: str
    agent_id: str
    task_id: str
    # What it holds while live: its spec's resources.
    resources: Resources
    # Launched on revocable resources: while live, its resources count in
    # its agent's and framework's revocable amounts, not their allocation.
    revocable: bool
    created_at: float
    status: TaskStatus
    usage: Usage | None
    # Uuids of updates pushed out of `history`, for the store to delete with
    # its next write of this task.
    forgotten: list[str]
    # At least one of the two is set; the JSON is made from the spec once.
    _spec: TaskSpec | None = field(repr=False)
    _spec_json: str | None = field(repr=False)
    # The spec's name, which every write of the task's row names.
    _name: str | None = field(repr=False)
    # Made from `_stored` when first asked for (see the properties).
    # A list, not a deque: every live task has one, and a short deque is
    # many times the size of a short list (bench/profiling.md, note 17).
    _history: list[TaskStatus] | None = field(repr=False)
    _seen: set[str] | None = field(repr=False)
    _stored: StoredUpdates | None = field(repr=False)

    def __init__(
        self,
        framework_id: str,
        agent_id: str,
        spec: TaskSpec,
        created_at: float,
        status: TaskStatus,
    ) -> None:
        self._set(framework_id, agent_id, spec.task_id, spec.resources, created_at, status)
        self.revocable = spec.revocable
        self._spec, self._spec_json, self._name = spec, None, spec.name
        self._history = [status]
        self._seen, self._stored = {status.uuid}, None

    @classmethod
    def stored(
        cls,
        framework_id: str,
        agent_id: str,
        task_id: str,
        resources: Resources,
        spec_json: str,
        created_at: float,
        status: TaskStatus,
        updates: StoredUpdates,
        revocable: bool = False,
    ) -> Task:
        """A task read back from the store: `spec_json` is what `spec_json`
        gave when it was written, and `resources` and `revocable` its spec's."""
        task = cls.__new__(cls)
        task._set(framework_id, agent_id, task_id, resources, created_at, status)
        task.revocable = revocable
        task._spec, task._spec_json, task._name = None, spec_json, None
        task._history, task._seen, task._stored = None, None, updates
        return task

    def _set(
        self,
        framework_id: str,
        agent_id: str,
        task_id: str,
        resources: Resources,
        created_at: float,
        status: TaskStatus,
    ) -> None:
        self.framework_id, self.agent_id, self.task_id = framework_id, agent_id, task_id
        self.resources, self.created_at, self.status = resources, created_at, status
        self.usage = None
        self.forgotten = []

    @property
    def spec(self) -> TaskSpec:
        """Its spec; once stored, made from the JSON at each use and not kept
        (it is seldom needed again, and 100,000 of them are hundreds of MiB)."""
        if self._spec is not None:
            return self._spec
        assert self._spec_json is not None
        return wire.spec_from_json(self._spec_json)

    @property
    def name(self) -> str:
        if self._name is None:
            self._name = self.spec.name
        return self._name

    def keep_stored_spec_only(self) -> None:
        """Lets the parsed spec go once its JSON is made (after it was stored)."""
        if self._spec_json is not None:
            self._spec = None

    @property
    def spec_json(self) -> str:
        """The spec in its stored form (`wire.spec_to_json`), made once: the
        store writes a task's row again with each of its status changes."""
        if self._spec_json is None:
            self._spec_json = wire.spec_to_json(self.spec)
        return self._spec_json

    @property
    def history(self) -> list[TaskStatus]:
        """Its status changes, oldest first; the last is `status`."""
        if self._history is None:
            assert self._stored is not None
            self._history = list(self._stored.history())[-HISTORY_LIMIT:]
            self._drop_stored()
        return self._history

    @property
    def seen_updates(self) -> set[str]:
        """Uuids of updates already applied while the task is live, so that
        an agent's re-sent update (after a master restart, say) is recognised."""
        if self._seen is None:
            assert self._stored is not None
            self._seen = set(self._stored.uuids())
            self._drop_stored()
        return self._seen

    def _drop_stored(self) -> None:
        # Once both are made the store's rows are not needed: their memory goes.
        if self._history is not None and self._seen is not None:
            self._stored = None

    def record(self, status: TaskStatus) -> None:
        """Makes `status` the latest, keeping the last HISTORY_LIMIT changes."""
        history = self.history
        if len(history) >= HISTORY_LIMIT:
            self.forgotten.append(history.pop(0).uuid)
        history.append(status)
        self.status = status

    @property
    def key(self) -> TaskKey:
        return (self.framework_id, self.task_id)

    @property
    def is_live(self) -> bool:
        return not self.status.state.is_terminal


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: str
    framework_id: str
    agent_id: str
    hostname: str
    resources: Resources
    created_at: float
    attributes: tuple[tuple[str, str], ...] = ()
    # The agent's advertised address when the offer was made.
    address: str = ""
    # The part of `resources` reserved on the agent for the framework's role
    # (master.reserved); the rest is unreserved. No ports.
    reserved: Resources = field(default_factory=Resources)
    # Revocable resources lent from the agent's slack, apart from `resources`
    # (which may then be empty): only for tasks marked revocable. cpus and mem.
    revocable: Resources = field(default_factory=Resources)
