"""Domain objects as the rows the store writes, and the upserts that write them.

A write is snapshotted here, on the caller's thread, into plain dicts keyed
by column name: the writer thread never touches a domain object, which may
change again before the commit runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from master.allocator.quota import QUOTA_KINDS, Quota
from master.cluster import Agent, Framework, Task, TaskKey
from master.store.models import AgentRow, Base, FrameworkRow, QuotaRow, StatusUpdateRow, TaskRow
from offer.resources import Resources
from offer.sqlupsert import upsert_statement
from offer.tasks import TaskStatus

Values = dict[str, Any]
"""One row to upsert, by column name."""


@dataclass
class Batch:
    """One call's write: committed whole, in one transaction, or not at all."""

    rows: list[tuple[type[Base], Values]]
    # Uuids of status updates a framework acknowledged.
    acks: list[str]
    # Updates that fell out of their task's history: deleted once acknowledged
    # (an unacknowledged one stays, for redelivery).
    forgotten: list[str]
    # Agents an operator removed: their rows are deleted (their tasks stay).
    removed_agents: list[str] = field(default_factory=list)
    # Ended tasks pruned from memory (master.history): their rows and their
    # acknowledged updates are deleted.
    pruned_tasks: list[TaskKey] = field(default_factory=list)
    # Removed frameworks pruned from memory: their rows, their tasks' and all
    # their updates are deleted.
    pruned_frameworks: list[str] = field(default_factory=list)


def batch(
    *,
    agents: Iterable[Agent],
    frameworks: Iterable[Framework],
    tasks: Iterable[Task],
    updates: Iterable[TaskStatus],
    acks: Iterable[str],
    removed_agents: Iterable[str] = (),
    quotas: Mapping[str, Quota | None] | None = None,
    pruned_tasks: Iterable[TaskKey] = (),
    pruned_frameworks: Iterable[str] = (),
) -> Batch:
    """The rows of a write. Takes each task's `forgotten` uuids, leaving it
    empty: they are the store's to delete from now on."""
    rows: list[tuple[type[Base], Values]] = []
    rows += [(AgentRow, agent_row(a)) for a in agents]
    rows += [(FrameworkRow, framework_row(f)) for f in frameworks]
    forgotten: list[str] = []
    for task in tasks:
        rows.append((TaskRow, task_row(task)))
        forgotten += task.forgotten
        task.forgotten.clear()
    rows += [(StatusUpdateRow, update_row(u)) for u in updates]
    rows += [(QuotaRow, quota_row(role, q)) for role, q in (quotas or {}).items()]
    return Batch(
        rows,
        list(acks),
        forgotten,
        list(removed_agents),
        list(pruned_tasks),
        list(pruned_frameworks),
    )


def upsert(dialect_name: str, model: type[Base], columns: tuple[str, ...]) -> Any:
    """The INSERT ... ON CONFLICT DO UPDATE of `columns` into `model`'s table.
    Build it once per table and set of columns: building one costs more than
    running it (bench/profiling.md, note 1)."""
    return upsert_statement(
        dialect_name,
        model.__table__,
        columns,
        # Status updates are numbered by seq but identified by their uuid.
        keys=["uuid"] if model is StatusUpdateRow else (),
        kept=_WRITTEN_ONCE.get(model, frozenset()),
    )


# Columns a row keeps from its first write: a task's spec, and what the row
# repeats of it, never change. Its every status change writes the row again.
_WRITTEN_ONCE: dict[type[Base], frozenset[str]] = {
    TaskRow: frozenset({"name", "cpus", "mem", "disk", "revocable", "spec", "created_at"}),
}


def agent_row(a: Agent) -> Values:
    return {
        "agent_id": a.agent_id,
        "hostname": a.hostname,
        "cpus": a.total.cpus,
        "mem": a.total.mem,
        "disk": a.total.disk,
        "ports": [list(r) for r in a.total.ports],
        "attributes": dict(a.attributes),
        "registered_at": a.registered_at,
        "lost": a.lost,
        "drain_deadline": a.drain_deadline,
        "principal": a.principal,
        "address": a.address,
        "static_reservations": _reservations(a.static_reserved),
        "dynamic_reservations": _reservations(a.dynamic_reserved),
    }


def _reservations(reserved: Mapping[str, Resources]) -> dict[str, list[float]]:
    return {role: [r.cpus, r.mem, r.disk] for role, r in reserved.items()}


def framework_row(f: Framework) -> Values:
    return {
        "framework_id": f.framework_id,
        "name": f.name,
        "role": f.role,
        "user": f.user,
        "failover_timeout": f.failover_timeout,
        "registered_at": f.registered_at,
        "removed": f.removed,
        "control_address": f.control_address,
        "principal": f.principal,
    }


def task_row(t: Task) -> Values:
    return {
        "framework_id": t.framework_id,
        "task_id": t.task_id,
        "agent_id": t.agent_id,
        "name": t.name,
        "cpus": t.resources.cpus,
        "mem": t.resources.mem,
        "disk": t.resources.disk,
        "revocable": t.revocable,
        "spec": t.spec_json,
        "created_at": t.created_at,
        "state": int(t.status.state),
        "status_uuid": t.status.uuid,
    }


def update_row(u: TaskStatus) -> Values:
    return {
        "uuid": u.uuid,
        "framework_id": u.framework_id,
        "task_id": u.task_id,
        "agent_id": u.agent_id,
        "state": int(u.state),
        "reason": int(u.reason),
        "message": u.message,
        "timestamp": u.timestamp,
        "exit_code": u.exit_code,
        "healthy": u.healthy,
    }


def quota_row(role: str, q: Quota | None) -> Values:
    """A role's quota; None (removed) as a row with neither guarantee nor limit."""
    q = q or Quota()
    row: Values = {"role": role}
    for kind in QUOTA_KINDS:
        row[f"guarantee_{kind}"] = getattr(q.guarantee, kind)
        row[f"limit_{kind}"] = q.limits.get(kind)
    return row
