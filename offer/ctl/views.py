"""Stable, documented JSON shapes for offerctl's output, built from the
Operator API's messages. Tables are rendered from these same dicts, so what a
person sees and what a script reads never disagree."""

from __future__ import annotations

from typing import Any

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
        "status": a.status,
        "total": _resources(a.total),
        "allocated": _resources(a.allocated),
        "offered": _resources(a.offered),
        "usage": _usage(a.usage, a.HasField("usage")),
        "attributes": dict(a.attributes),
        "drain_deadline": a.drain_deadline or None,
        "registered_at": a.registered_at,
    }


def framework_view(f: operator_pb2.FrameworkSummary) -> dict[str, Any]:
    return {
        "framework_id": f.info.framework_id,
        "name": f.info.name,
        "role": f.info.role,
        "user": f.info.user,
        "status": "removed" if f.removed else ("active" if f.connected else "disconnected"),
        "suppressed": f.suppressed,
        "active_tasks": f.active_tasks,
        "allocated": _resources(f.allocated),
        "offered": _resources(f.offered),
        "dominant_share": round(f.dominant_share, 4),
        "registered_at": f.registered_at,
    }


def task_view(t: operator_pb2.TaskSummary) -> dict[str, Any]:
    s = t.status
    return {
        "task_id": t.task_id,
        "framework_id": t.framework_id,
        "agent_id": t.agent_id,
        "name": t.name,
        "state": _name(TaskState, s.state),
        "reason": _name(StatusReason, s.reason),
        "message": s.message,
        "exit_code": s.exit_code if s.HasField("exit_code") else None,
        "healthy": s.healthy if s.HasField("healthy") else None,
        "image": t.container.image,
        "command": list(t.container.command),
        "resources": _resources(t.resources),
        "usage": _usage(t.usage, t.HasField("usage")),
        "created_at": t.created_at,
        "updated_at": s.timestamp,
    }


def _name(kind: type[TaskState] | type[StatusReason], value: int) -> str:
    try:
        return kind(value).name
    except ValueError:
        return "UNSPECIFIED"
