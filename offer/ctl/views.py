"""Stable, documented JSON shapes for offerctl's output, built from the
Operator API's messages. Tables are rendered from these same dicts, so what a
person sees and what a script reads never disagree."""

from __future__ import annotations

from typing import Any

from offer.ctl.names import AGENT_STATUSES, FRAMEWORK_STATUSES, TASK_STATES
from offer.tasks import StatusReason, TaskState
from offer.v1 import common_pb2, operator_pb2


def _resources(r: common_pb2.Resources) -> dict[str, Any]:
    out: dict[str, Any] = {"cpus": r.cpus, "mem": r.mem, "disk": r.disk}
    if r.ports:
        out["ports"] = [[p.begin, p.end] for p in r.ports]
    return out


def _usage(u: common_pb2.Usage, present: bool) -> dict[str, float] | None:
    if not present:
        return None
    return {
        "cpus_used": round(u.cpus_used, 3),
        "mem_used": round(u.mem_used, 1),
        "timestamp": u.timestamp,
    }


def agent_view(a: common_pb2.AgentInfo) -> dict[str, Any]:
    return {
        "agent_id": a.agent_id,
        "hostname": a.hostname,
        # Where other hosts reach its tasks; None from an agent older than addresses.
        "address": a.address or None,
        "status": a.status,
        "total": _resources(a.total),
        "allocated": _resources(a.allocated),
        "offered": _resources(a.offered),
        "usage": _usage(a.usage, a.HasField("usage")),
        "attributes": dict(a.attributes),
        "drain_deadline": a.drain_deadline or None,
        "registered_at": a.registered_at,
        # Parts of `total` reserved for roles, one entry per role and type
        # ("static": its --resources; "dynamic": reserved through the master).
        "reservations": [
            {
                "role": r.role,
                "type": "dynamic" if r.type == common_pb2.RESERVATION_DYNAMIC else "static",
                "resources": _resources(r.resources),
            }
            for r in a.reservations
        ],
        # Role -> what of its reservation here its tasks and offers hold.
        "reserved_in_use": {role: _resources(r) for role, r in sorted(a.reserved_in_use.items())},
    }


def framework_view(
    f: operator_pb2.FrameworkSummary, quota: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`quota`: its role's (quota_view), if the role has one."""
    return {
        "framework_id": f.info.framework_id,
        "name": f.info.name,
        "role": f.info.role,
        "user": f.info.user,
        "status": "removed" if f.removed else ("active" if f.connected else "disconnected"),
        "suppressed": f.suppressed,
        "control_address": f.info.control_address or None,
        "failover_timeout": f.info.failover_timeout,
        "active_tasks": f.active_tasks,
        "allocated": _resources(f.allocated),
        "offered": _resources(f.offered),
        "dominant_share": round(f.dominant_share, 4),
        "registered_at": f.registered_at,
        "role_quota": quota,
    }


def quota_view(q: operator_pb2.RoleQuota) -> dict[str, Any]:
    """One role's quota: guarantee, limit and room name only the kinds
    given; consumption and held_back have cpus, mem and disk."""
    return {
        "role": q.config.role,
        "guarantee": dict(sorted(q.config.guarantees.items())),
        "limit": dict(sorted(q.config.limits.items())),
        "consumption": {
            "cpus": q.consumption.cpus,
            "mem": q.consumption.mem,
            "disk": q.consumption.disk,
        },
        "held_back": {"cpus": q.held_back.cpus, "mem": q.held_back.mem, "disk": q.held_back.disk},
        "room": dict(sorted(q.room.items())),
        "at_limit": q.at_limit,
    }


def task_view(t: operator_pb2.TaskSummary) -> dict[str, Any]:
    s = status_change_view(t.status)
    return {
        "task_id": t.task_id,
        "framework_id": t.framework_id,
        "agent_id": t.agent_id,
        "name": t.name,
        **{k: s[k] for k in ("state", "reason", "message", "exit_code", "healthy")},
        # Its agent's address, where its host_ports are reached (None: unknown).
        "address": t.agent_address or None,
        "host_ports": [m.host_port for m in t.container.port_mappings],
        "image": t.container.image,
        "command": list(t.container.command),
        "resources": _resources(t.resources),
        # On revocable resources: its agent may preempt it (docs/revocable.md).
        "revocable": t.revocable,
        "usage": _usage(t.usage, t.HasField("usage")),
        "created_at": t.created_at,
        "updated_at": s["timestamp"],
    }


def _name(kind: type[TaskState] | type[StatusReason], value: int) -> str:
    try:
        return kind(value).name
    except ValueError:
        return "UNSPECIFIED"


def status_change_view(s: common_pb2.TaskStatus) -> dict[str, Any]:
    """One entry of a task's history (and the status of a task event)."""
    return {
        "task_id": s.task_id,
        "framework_id": s.framework_id,
        "agent_id": s.agent_id,
        "state": _name(TaskState, s.state),
        "reason": _name(StatusReason, s.reason),
        "message": s.message,
        "exit_code": s.exit_code if s.HasField("exit_code") else None,
        "healthy": s.healthy if s.HasField("healthy") else None,
        "timestamp": s.timestamp,
    }


def task_detail_view(resp: operator_pb2.GetTaskResponse) -> dict[str, Any]:
    return {**task_view(resp.task), "history": [status_change_view(s) for s in resp.history]}


def offer_view(o: operator_pb2.OfferSummary) -> dict[str, Any]:
    return {
        "offer_id": o.offer.offer_id,
        "framework_id": o.offer.framework_id,
        "agent_id": o.offer.agent_id,
        "hostname": o.offer.hostname,
        "address": o.offer.address or None,
        "resources": _resources(o.offer.resources),
        # The part of `resources` reserved for the framework's role.
        "reserved": _resources(o.offer.reserved),
        # Lent from the agent's slack, apart from `resources`: revocable tasks only.
        "revocable": _resources(o.offer.revocable),
        "attributes": dict(o.offer.attributes),
        "created_at": o.created_at,
    }


def cluster_status_view(s: operator_pb2.GetStatusResponse) -> dict[str, Any]:
    """Every count is present, zero included, so that scripts need no
    defaults; a standby's view has only "master" and "leadership"."""

    def counts(found: Any, names: tuple[str, ...]) -> dict[str, int]:
        out = {name.replace(" ", "_"): int(found.get(name, 0)) for name in names}
        out["total"] = sum(found.values())
        return out

    master = {
        "address": s.address,
        "version": s.version,
        "started_at": s.started_at,
        "uptime_seconds": round(max(0.0, s.now - s.started_at), 1),
    }
    if s.role == operator_pb2.MASTER_ROLE_STANDBY:
        # A standby knows no counts: the cluster's are the leader's to give.
        return {
            "master": master,
            "leadership": {"role": "standby", "leader": s.leader or None, "epoch": None},
        }
    return {
        "master": master,
        # A master from before standbys (role unspecified) leads alone.
        "leadership": {"role": "leader", "leader": s.leader or s.address, "epoch": s.epoch or None},
        "agents": counts(s.agents, AGENT_STATUSES),
        "frameworks": counts(s.frameworks, FRAMEWORK_STATUSES),
        "tasks": counts(s.tasks, TASK_STATES),
        "resources": {
            "total": _resources(s.total),
            "allocated": _resources(s.allocated),
            "offered": _resources(s.offered),
            "idle": _resources(s.idle),
            "used": _usage(s.used, s.HasField("used")),
        },
        "quotas": [quota_view(q) for q in s.quotas],
        "reservations": [reservations_view(r) for r in s.reservations],
    }


def reservations_view(r: operator_pb2.RoleReservations) -> dict[str, Any]:
    """What is reserved for one role over the cluster (static and dynamic),
    of which dynamic, and of which its tasks and offers hold."""
    return {
        "role": r.role,
        "reserved": _resources(r.reserved),
        "dynamic": _resources(r.dynamic),
        "in_use": _resources(r.in_use),
        "agents": r.agents,
    }


def event_view(e: operator_pb2.ClusterEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "timestamp": e.timestamp,
        "type": operator_pb2.ClusterEventType.Name(e.type).removeprefix("EVENT_"),
        "agent_id": e.agent_id or None,
        "framework_id": e.framework_id or None,
        "task": status_change_view(e.status) if e.HasField("status") else None,
        "message": e.message,
    }
