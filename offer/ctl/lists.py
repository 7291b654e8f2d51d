"""offerctl agents|frameworks|tasks|offers: what the master knows, filtered
and sorted. Filters are applied here, on the master's lists, so that a
framework or an agent can be named by id or by name."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from offer.ctl import cells, render, watch
from offer.ctl.errors import CtlError, not_found
from offer.ctl.quota import quota_table
from offer.ctl.views import agent_view, framework_view, offer_view, quota_view, task_view
from offer.tasks import TERMINAL_STATES
from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc

CALL_TIMEOUT = 5.0

Stub = operator_pb2_grpc.OperatorStub
Row = dict[str, Any]

KINDS = ("agents", "frameworks", "tasks", "offers")
# The field each kind's --state filters on.
STATE_FIELD = {"agents": "status", "frameworks": "status", "tasks": "state"}
_ENDED = {s.name for s in TERMINAL_STATES}


def fetch(stub: Stub, kind: str, *, framework_id: str = "", agent_id: str = "") -> list[Row]:
    """The master's list of `kind`, in its order (agents and frameworks
    oldest first, tasks newest first, offers oldest first)."""
    if kind == "agents":
        return [
            agent_view(a)
            for a in stub.ListAgents(pb.ListAgentsRequest(), timeout=CALL_TIMEOUT).agents
        ]
    if kind == "frameworks":
        resp = stub.ListFrameworks(pb.ListFrameworksRequest(), timeout=CALL_TIMEOUT)
        quotas = {q.config.role: quota_view(q) for q in resp.quotas}
        return [framework_view(f, quotas.get(f.info.role)) for f in resp.frameworks]
    if kind == "tasks":
        request = pb.ListTasksRequest(framework_id=framework_id, agent_id=agent_id)
        return [task_view(t) for t in stub.ListTasks(request, timeout=CALL_TIMEOUT).tasks]
    offers = pb.ListOffersRequest(framework_id=framework_id, agent_id=agent_id)
    return [offer_view(o) for o in stub.ListOffers(offers, timeout=CALL_TIMEOUT).offers]


def live(tasks: list[Row]) -> list[Row]:
    return [t for t in tasks if t["state"] not in _ENDED]


def find(rows: list[Row], kind: str, ident: str, *names: str) -> Row:
    """The one row whose id (or one of the `names` fields) is `ident`."""
    id_field = kind.removesuffix("s") + "_id"
    for row in rows:
        if row[id_field] == ident:
            return row
    found = [r for r in rows if any(r[n] == ident for n in names)]
    if len(found) == 1:
        return found[0]
    if found:
        raise CtlError(
            f"{len(found)} {kind} are called {ident!r}; give the id (`offerctl {kind}` lists them)"
        )
    raise not_found(kind, ident)


def _ids(stub: Stub, kind: str, ident: str, name_field: str) -> set[str]:
    """Ids of the frameworks (agents) whose id or name (hostname) is `ident`."""
    id_field = kind.removesuffix("s") + "_id"
    ids = {r[id_field] for r in fetch(stub, kind) if ident in (r[id_field], r[name_field])}
    if not ids:
        raise not_found(kind, ident)
    return ids


def select(stub: Stub, kind: str, args: argparse.Namespace) -> list[Row]:
    """The rows of `kind` that pass the filters in `args`."""
    rows = fetch(stub, kind)
    states = getattr(args, "state", None)
    if states:
        rows = [r for r in rows if r[STATE_FIELD[kind]] in states]
    if getattr(args, "framework", None):
        frameworks = _ids(stub, "frameworks", args.framework, "name")
        rows = [r for r in rows if r["framework_id"] in frameworks]
    if getattr(args, "agent", None):
        agents = _ids(stub, "agents", args.agent, "hostname")
        rows = [r for r in rows if r["agent_id"] in agents]
    role = getattr(args, "role", None)
    if role and kind == "frameworks":
        rows = [r for r in rows if r["role"] == role]
    elif role:
        in_role = {f["framework_id"] for f in fetch(stub, "frameworks") if f["role"] == role}
        rows = [r for r in rows if r["framework_id"] in in_role]
    return rows


def list_command(stub: Stub, args: argparse.Namespace) -> int:
    kind = args.kind

    def snapshot() -> watch.Snapshot:
        rows = cells.sort_rows(kind, select(stub, kind, args), args.sort_by, args.reverse)
        return rows, lambda: _draw(kind, rows, args.output == "wide")

    return watch.show(snapshot, args)


def _draw(kind: str, rows: list[Row], wide: bool) -> RenderableType:
    """The table; for frameworks, their roles' quotas under it."""
    table = render.table(kind, rows, wide=wide)
    if kind != "frameworks":
        return table
    quotas = {r["role"]: r["role_quota"] for r in rows if r["role_quota"] is not None}
    if not quotas:
        return table
    return Group(
        table,
        Text(""),
        Text("Quotas of their roles:", style="bold"),
        quota_table([quotas[k] for k in sorted(quotas)]),
    )
