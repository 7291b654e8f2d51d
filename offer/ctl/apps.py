"""offerctl's `app` commands: they talk to the service framework's control
API (offer-service), not to the master."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections import Counter
from typing import Any

import grpc
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from offer.ctl import render
from offer.ctl.follow import follow
from offer.ctl.progress import AppRollout, same_version
from offer.ctl.quota import framework_role_quota, limit_line
from offer.tasks import TERMINAL_STATES
from offer.v1 import operator_pb2, operator_pb2_grpc, service_pb2_grpc
from offer.v1 import service_pb2 as pb

CALL_TIMEOUT = 10.0
_ENDED = {s.name for s in TERMINAL_STATES}

Stub = service_pb2_grpc.ServiceControlStub


class NoServiceError(Exception):
    """No offer-service is registered with the master."""


def find_service(master_channel: object, name: str = "offer-service") -> str:
    """The control address offer-service registered with the master (the
    connected one first)."""
    stub = operator_pb2_grpc.OperatorStub(master_channel)
    frameworks = stub.ListFrameworks(
        operator_pb2.ListFrameworksRequest(), timeout=CALL_TIMEOUT
    ).frameworks
    found = sorted(
        (f for f in frameworks if f.info.name == name and f.info.control_address and not f.removed),
        key=lambda f: not f.connected,
    )
    if not found:
        raise NoServiceError(name)
    return str(found[0].info.control_address)


def app_view(a: pb.AppStatus) -> dict[str, Any]:
    return {
        "app_id": a.app_id,
        "instances": a.instances,
        "healthy": a.healthy,
        "waiting_reason": a.waiting_reason,
        "backoff_until": a.backoff_until or None,
        "deployment": {
            "state": pb.DeploymentState.Name(a.deployment.state).removeprefix("DEPLOYMENT_STATE_"),
            "revision": a.deployment.revision,
            "started_at": a.deployment.started_at or None,
            "deadline": a.deployment.deadline or None,
            "reason": a.deployment.reason,
        },
        "tasks": [
            {
                "task_id": t.task_id,
                "agent_id": t.agent_id,
                "hostname": t.hostname,
                # Where its host ports are reached (None: placed before addresses).
                "address": t.address or None,
                "state": t.state,
                "health": t.health,
                "host_ports": list(t.host_ports),
                "started_at": t.started_at,
                "message": t.message,
                "revision": t.revision or None,
            }
            for t in a.tasks
        ],
    }


def waits(args: argparse.Namespace) -> bool:
    """--wait, or --timeout (which implies it)."""
    return bool(args.wait or args.timeout is not None)


def _get(stub: Stub, app_id: str) -> pb.AppStatus:
    app: pb.AppStatus = stub.GetApp(pb.GetAppRequest(app_id=app_id), timeout=CALL_TIMEOUT)
    return app


def _follow(stub: Stub, args: argparse.Namespace, rollouts: list[AppRollout]) -> int:
    return follow(lambda: [r.check(_get(stub, r.app_id)) for r in rollouts], args.timeout)


def deploy(stub: Stub, args: argparse.Namespace) -> int:
    wait = waits(args)
    # Before the deploy: what is there tells the version being replaced.
    before = (
        {a.app_id: a for a in stub.ListApps(pb.ListAppsRequest(), timeout=CALL_TIMEOUT).apps}
        if wait
        else {}
    )
    request = pb.DeployAppsRequest(yaml=args.spec_text)
    app_ids = list(stub.DeployApps(request, timeout=CALL_TIMEOUT).app_ids)
    for app_id in app_ids:
        print(f"app {app_id} deployed", flush=True)
    if not wait:
        return 0
    rollouts = []
    for app_id in app_ids:
        old = before.get(app_id)
        changed = old is not None and not same_version(old, _get(stub, app_id))
        rollouts.append(AppRollout.start(app_id, old, new_version=changed))
    return _follow(stub, args, rollouts)


def list_apps(stub: Stub, args: argparse.Namespace) -> int:
    apps = [app_view(a) for a in stub.ListApps(pb.ListAppsRequest(), timeout=CALL_TIMEOUT).apps]

    def draw() -> RenderableType:
        if not apps:
            return "No apps."
        table = Table(box=None, header_style="bold", pad_edge=False)
        for title in ("APP", "RUNNING", "WANTED", "WAITING"):
            table.add_column(title, no_wrap=title != "WAITING")
        for a in apps:
            table.add_row(a["app_id"], str(a["healthy"]), str(a["instances"]), a["waiting_reason"])
        return table

    render.emit(apps, draw, args.output)
    return 0


def show(stub: Stub, args: argparse.Namespace) -> int:
    view = app_view(stub.GetApp(pb.GetAppRequest(app_id=args.app_id), timeout=CALL_TIMEOUT))
    view["spread"] = spread_view(view["tasks"], _agent_attributes(args))
    live = [t for t in view["tasks"] if t["state"] not in _ENDED]
    # Said only while instances are missing: a full app waits on nothing.
    short = len(live) < view["instances"]
    view["role_quota"] = framework_role_quota(args, "offer-service") if short else None
    render.emit(view, lambda: _draw_app(view), args.output)
    return 0


def spread_view(
    tasks: list[dict[str, Any]], attributes: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """How the live instances are spread, most first: per agent (by
    hostname) under "agents", and per value of each attribute their agents
    have (`attributes`: agent id -> attributes, from the master) under
    "attributes" and the attribute's name ("-": an agent without it)."""
    live = [t for t in tasks if t["state"] not in _ENDED]
    of = [attributes.get(t["agent_id"], {}) for t in live]
    names = sorted({name for attrs in of for name in attrs})
    return {
        "agents": _most_first(Counter(t["hostname"] or t["agent_id"] for t in live)),
        "attributes": {
            name: _most_first(Counter(attrs.get(name, "-") for attrs in of)) for name in names
        },
    }


def _most_first(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _agent_attributes(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """Agent id -> attributes, from the master; {} if it cannot be asked
    (the spread is then shown per agent only)."""
    security = getattr(args, "security", None)
    if security is None or not getattr(args, "master", ""):
        return {}
    from offer.ctl.leader import on_leader

    def list_agents(channel: grpc.Channel) -> operator_pb2.ListAgentsResponse:
        stub = operator_pb2_grpc.OperatorStub(channel)
        agents: operator_pb2.ListAgentsResponse = stub.ListAgents(
            operator_pb2.ListAgentsRequest(), timeout=CALL_TIMEOUT
        )
        return agents

    try:
        agents = on_leader(args, list_agents)
    except grpc.RpcError:
        return {}
    return {a.agent_id: dict(a.attributes) for a in agents.agents}


def _spread_lines(spread: dict[str, Any]) -> list[Text]:
    """ "spread over agents: host0 2, host1 2", then one line per attribute."""
    if not spread or not spread["agents"]:
        return []
    groups = {"agents": spread["agents"], **spread["attributes"]}
    return [
        Text(f"spread over {over}: " + ", ".join(f"{v} {n}" for v, n in counts.items()))
        for over, counts in groups.items()
    ]


def _draw_app(view: dict[str, Any]) -> RenderableType:
    lines: list[RenderableType] = [
        Text(f"app {view['app_id']}: {view['healthy']} of {view['instances']} running")
    ]
    if view["waiting_reason"]:
        lines.append(Text(f"waiting: {view['waiting_reason']}"))
    deployment = view.get("deployment") or {}
    if deployment.get("state") in ("IN_PROGRESS", "FAILED"):
        why = f": {deployment['reason']}" if deployment["reason"] else ""
        style = "red" if deployment["state"] == "FAILED" else ""
        said = f"deployment of revision {deployment['revision']} {deployment['state']}{why}"
        lines.append(Text(said, style=style))
    if limit_line(view.get("role_quota")):
        lines.append(Text(limit_line(view.get("role_quota")), style="yellow"))
    lines += _spread_lines(view.get("spread", {}))
    table = Table(box=None, header_style="bold", pad_edge=False)
    titles = ("TASK", "AGENT", "HOST", "ADDRESS", "STATE", "HEALTH", "PORTS", "STARTED", "MESSAGE")
    for title in titles:
        table.add_column(title, no_wrap=title != "MESSAGE")
    for t in view["tasks"]:
        started = datetime.datetime.fromtimestamp(t["started_at"]).strftime("%H:%M:%S")
        table.add_row(
            t["task_id"],
            t["agent_id"],
            t["hostname"],
            t["address"] or "-",
            t["state"],
            t["health"],
            ",".join(map(str, t["host_ports"])),
            started,
            Text(t["message"]),
        )
    if view["tasks"]:
        lines.append(table)
    return Group(*lines)


def scale(stub: Stub, args: argparse.Namespace) -> int:
    if args.instances < 0:
        print("offerctl: INSTANCES must be 0 or more", file=sys.stderr)
        return 2
    before = _get(stub, args.app_id) if waits(args) else None
    status = stub.ScaleApp(
        pb.ScaleAppRequest(app_id=args.app_id, instances=args.instances), timeout=CALL_TIMEOUT
    )
    print(f"app {args.app_id} scaled to {status.instances}", flush=True)
    if before is None:
        return 0
    return _follow(stub, args, [AppRollout.start(args.app_id, before, new_version=False)])


def restart(stub: Stub, args: argparse.Namespace) -> int:
    before = _get(stub, args.app_id) if waits(args) else None
    stub.RestartApp(pb.RestartAppRequest(app_id=args.app_id), timeout=CALL_TIMEOUT)
    print(f"app {args.app_id}: every instance is being replaced", flush=True)
    if before is None:
        return 0
    return _follow(stub, args, [AppRollout.start(args.app_id, before, new_version=True)])


def remove(stub: Stub, args: argparse.Namespace) -> int:
    stub.RemoveApp(pb.RemoveAppRequest(app_id=args.app_id), timeout=CALL_TIMEOUT)
    print(f"app {args.app_id} removed; its instances are being killed")
    return 0
