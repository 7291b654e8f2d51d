"""offerctl agents|frameworks|tasks|offers: what the master knows, filtered
and sorted. A framework or an agent is named by id or by name: the names
are resolved here. Tasks are filtered and paged by the master (they are as
many as the history it keeps), which is asked for the ids and the states
and for as many tasks as will be shown; the other lists are short, and
filtered here."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from offer.ctl import cells, render, watch
from offer.ctl.errors import CtlError, not_found
from offer.ctl.quota import quota_table
from offer.ctl.views import agent_view, framework_view, offer_view, quota_view, task_view
from offer.tasks import TaskState
from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc

CALL_TIMEOUT = 5.0

Stub = operator_pb2_grpc.OperatorStub
Row = dict[str, Any]

KINDS = ("agents", "frameworks", "tasks", "offers")
# The field each kind's --state filters on.
STATE_FIELD = {"agents": "status", "frameworks": "status", "tasks": "state"}
LIVE_TASK_STATES = [
    f"TASK_{s.name}" for s in TaskState if s is not TaskState.UNSPECIFIED and not s.is_terminal
]


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
        return fetch_tasks(stub, request, None)[0]
    offers = pb.ListOffersRequest(framework_id=framework_id, agent_id=agent_id)
    return [offer_view(o) for o in stub.ListOffers(offers, timeout=CALL_TIMEOUT).offers]


def fetch_tasks(
    stub: Stub, request: pb.ListTasksRequest, limit: int | None
) -> tuple[list[Row], int]:
    """The first `limit` tasks (None: all) that pass the request's filters,
    newest first, page after page; and how many more pass them."""
    rows: list[Row] = []
    asked = pb.ListTasksRequest()
    asked.CopyFrom(request)
    while True:
        asked.limit = 0 if limit is None else limit - len(rows)  # 0: the master's page
        page = stub.ListTasks(asked, timeout=CALL_TIMEOUT)
        rows += [task_view(t) for t in page.tasks]
        if (limit is not None and len(rows) >= limit) or not page.next_page_token:
            return rows, page.remaining
        asked.page_token = page.next_page_token


def live_tasks(stub: Stub, *, framework_id: str = "", agent_id: str = "") -> list[Row]:
    """The framework's (agent's) live tasks, newest first: only those are fetched."""
    request = pb.ListTasksRequest(
        framework_id=framework_id, agent_id=agent_id, states=LIVE_TASK_STATES
    )
    return fetch_tasks(stub, request, None)[0]


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


def select_tasks(stub: Stub, args: argparse.Namespace) -> tuple[list[Row], int]:
    """The tasks that pass the filters in `args`, newest first, as many as
    --limit says (all with --all); and how many more pass them."""
    frameworks: set[str] | None = None
    if args.framework:
        frameworks = _ids(stub, "frameworks", args.framework, "name")
    if args.role:
        in_role = {f["framework_id"] for f in fetch(stub, "frameworks") if f["role"] == args.role}
        frameworks = in_role if frameworks is None else frameworks & in_role
    agents = _ids(stub, "agents", args.agent, "hostname") if args.agent else set()
    if frameworks is not None and not frameworks:
        return [], 0  # no framework passes: neither does any task
    request = pb.ListTasksRequest(
        framework_ids=sorted(frameworks or ()),
        agent_ids=sorted(agents),
        states=[f"TASK_{name}" for name in sorted(args.state or ())],
    )
    return fetch_tasks(stub, request, None if args.all else args.limit)


def select(stub: Stub, kind: str, args: argparse.Namespace) -> list[Row]:
    """The rows of `kind` that pass the filters in `args`."""
    if kind == "tasks":
        return select_tasks(stub, args)[0]
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
        more = 0
        if kind == "tasks":
            fetched, more = select_tasks(stub, args)
        else:
            fetched = select(stub, kind, args)
        rows = cells.sort_rows(kind, fetched, args.sort_by, args.reverse)
        if more and args.output in ("json", "yaml"):
            print(_more(more), file=sys.stderr, flush=True)  # stdout stays the data
        return rows, lambda: _draw(kind, rows, args.output == "wide", more)

    return watch.show(snapshot, args)


def _more(count: int) -> str:
    return f"{count} more: --limit or --all"


def _draw(kind: str, rows: list[Row], wide: bool, more: int = 0) -> RenderableType:
    """The table; for frameworks, their roles' quotas under it; for tasks,
    how many more there are, if the limit left some out."""
    table = render.table(kind, rows, wide=wide)
    if more:
        return Group(table, Text(_more(more)))
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
