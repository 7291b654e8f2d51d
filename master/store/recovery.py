"""The recovery read: everything stored, back as domain objects.

The two large tables (a task row and a few update rows per task, hundreds of
thousands of each) are read with the driver's own cursor as named records,
and a recovered task keeps its update records until its history is first
asked for: the master's start time is mostly this read (bench/profiling.md,
note 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from master.allocator.quota import QUOTA_KINDS, Quota
from master.cluster import HISTORY_LIMIT, Agent, Framework, Task, TaskKey
from master.store.models import AgentRow, FrameworkRow, QuotaRow, StatusUpdateRow, TaskRow
from offer import wire
from offer.resources import Resources
from offer.tasks import StatusReason, TaskState, TaskStatus


@dataclass
class Snapshot:
    """Everything persisted, as domain objects, for a master coming back up."""

    agents: list[Agent] = field(default_factory=list)
    frameworks: list[Framework] = field(default_factory=list)
    # Each with its stored updates (Task.stored), in creation order.
    tasks: list[Task] = field(default_factory=list)
    # Unacknowledged updates per framework, oldest first.
    unacked: dict[str, list[TaskStatus]] = field(default_factory=dict)
    # Role -> its quota (roles whose quota was removed are not here).
    quotas: dict[str, Quota] = field(default_factory=dict)


class _TaskRecord(NamedTuple):
    """A row of the tasks table as the driver returns it: its fields are the
    SELECT's columns (_TASKS), in their order."""

    framework_id: str
    task_id: str
    agent_id: str
    cpus: float
    mem: float
    disk: float
    # 0 or 1 on SQLite.
    revocable: int
    spec: str
    created_at: float
    state: int
    status_uuid: str


class _UpdateRecord(NamedTuple):
    """A row of the status_updates table as the driver returns it (_UPDATES).
    Booleans are whatever the driver makes of them: 0 and 1 on SQLite."""

    task_id: str
    framework_id: str
    agent_id: str
    state: int
    reason: int
    message: str
    timestamp: float
    uuid: str
    exit_code: int | None
    healthy: int | None
    acknowledged: int


def _select(record: type[NamedTuple], table: str, order_by: str = "") -> str:
    order = f" ORDER BY {order_by}" if order_by else ""
    return f"SELECT {', '.join(record._fields)} FROM {table}{order}"


# Unordered: sorting tasks by created_at is cheaper in Python than in SQLite,
# which sorts whole rows, specs and all, in a temporary B-tree; that saving
# pays for naming the rows (bench/profiling.md, note 29).
_TASKS = _select(_TaskRecord, TaskRow.__tablename__)
_UPDATES = _select(_UpdateRecord, StatusUpdateRow.__tablename__, "seq")

_R = TypeVar("_R")


def read(engine: Engine) -> Snapshot:
    """Reads the whole state (blocking)."""
    snap = Snapshot()
    with Session(engine) as session:
        snap.agents = [_agent_from(r) for r in session.scalars(select(AgentRow))]
        snap.frameworks = [_framework_from(r) for r in session.scalars(select(FrameworkRow))]
        for q in session.scalars(select(QuotaRow)):
            quota = _quota_from(q)
            if not quota.is_empty():
                snap.quotas[q.role] = quota
        driver = session.connection().connection
        updates = _records(driver, _UPDATES, _UpdateRecord._make)
        tasks = _records(driver, _TASKS, _TaskRecord._make)
    tasks.sort(key=attrgetter("created_at"))
    per_task: dict[TaskKey, list[_UpdateRecord]] = {}
    for u in updates:
        per_task.setdefault((u.framework_id, u.task_id), []).append(u)
        if not u.acknowledged:
            snap.unacked.setdefault(u.framework_id, []).append(_update_from(u))
    sizes: dict[tuple[float, float, float], Resources] = {}
    snap.tasks = [
        _task_from(t, per_task.get((t.framework_id, t.task_id), []), sizes) for t in tasks
    ]
    return snap


def _records(driver: Any, sql: str, make: Callable[[Iterable[Any]], _R]) -> list[_R]:
    """The rows of `sql` as `make` names the driver's tuples, without
    SQLAlchemy's result rows and type conversions: at recovery those cost
    more than the read itself (bench/profiling.md, note 8)."""
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        return list(map(make, cursor.fetchall()))
    finally:
        cursor.close()


def _agent_from(r: AgentRow) -> Agent:
    total = Resources(r.cpus, r.mem, r.disk, tuple((b, e) for b, e in r.ports))
    return Agent(
        r.agent_id,
        r.hostname,
        total,
        r.registered_at,
        lost=r.lost,
        attributes=dict(r.attributes),
        drain_deadline=r.drain_deadline,
        principal=r.principal,
        address=r.address,
        static_reserved=_reservations(r.static_reservations),
        dynamic_reserved=_reservations(r.dynamic_reservations),
    )


def _reservations(stored: dict[str, list[float]] | None) -> dict[str, Resources]:
    return {role: Resources(cpus, mem, disk) for role, (cpus, mem, disk) in (stored or {}).items()}


def _framework_from(r: FrameworkRow) -> Framework:
    return Framework(
        r.framework_id,
        r.name,
        r.role,
        r.user,
        r.failover_timeout,
        r.registered_at,
        removed=r.removed,
        control_address=r.control_address,
        principal=r.principal,
    )


def _quota_from(r: QuotaRow) -> Quota:
    guarantees = {k: getattr(r, f"guarantee_{k}") for k in QUOTA_KINDS}
    limits = {k: v for k in QUOTA_KINDS if (v := getattr(r, f"limit_{k}")) is not None}
    return Quota.of({k: v for k, v in guarantees.items() if v}, limits)


def _task_from(
    t: _TaskRecord,
    updates: list[_UpdateRecord],
    sizes: dict[tuple[float, float, float], Resources],
) -> Task:
    """The task with its update records, oldest first; its status is the
    update it names. Tasks of the same size share one Resources in `sizes`."""
    for u in updates:
        if u.uuid == t.status_uuid:
            status = _update_from(u)
            break
    else:  # the update row is written with the task: only defended against
        status = TaskStatus(t.task_id, t.framework_id, t.agent_id, TaskState(t.state))
    if _PORTS in t.spec:
        # Port ranges have no column of their own: only the spec knows them.
        resources = wire.spec_from_json(t.spec).resources
    else:
        size = (t.cpus, t.mem, t.disk)
        resources = sizes.get(size) or sizes.setdefault(size, Resources(*size))
    stored = _StoredUpdates(updates, status)
    return Task.stored(
        t.framework_id,
        t.agent_id,
        t.task_id,
        resources,
        t.spec,
        t.created_at,
        status,
        stored,
        bool(t.revocable),
    )


# In a stored spec only as the key of its port ranges (inside a JSON string a
# quote is escaped); a label or env value "ports" is a harmless false alarm.
_PORTS = '"ports"'


class _StoredUpdates:
    """A recovered task's update records, oldest first, and its status (which
    stands for the record it came from or, if none did, comes after them)."""

    __slots__ = ("_records", "_status")

    def __init__(self, records: list[_UpdateRecord], status: TaskStatus) -> None:
        self._records, self._status = records, status

    def history(self) -> list[TaskStatus]:
        status = self._status
        records = self._records[-HISTORY_LIMIT:]
        history = [status if u.uuid == status.uuid else _update_from(u) for u in records]
        if not any(h is status for h in history):
            history.append(status)
        return history[-HISTORY_LIMIT:]

    def uuids(self) -> set[str]:
        return {u.uuid for u in self._records} | {self._status.uuid}


def _update_from(u: _UpdateRecord) -> TaskStatus:
    return TaskStatus(
        u.task_id,
        u.framework_id,
        u.agent_id,
        _STATES[u.state],
        _REASONS[u.reason],
        u.message,
        u.timestamp,
        u.uuid,
        u.exit_code,
        None if u.healthy is None else bool(u.healthy),
    )


# Dict look-ups: calling the enum on every row of a recovery costs more.
_STATES = {int(s): s for s in TaskState}
_REASONS = {int(r): r for r in StatusReason}
