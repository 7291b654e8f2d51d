"""offerctl agent reserve|unreserve (dynamic reservations), and the
per-role reservations table that `status` shows. The master checks roles
and amounts; offerctl only reads NAME:AMOUNT pairs of cpus, mem and disk."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from offer.ctl import cells, render
from offer.ctl.commands import CALL_TIMEOUT, Stub
from offer.ctl.views import agent_view
from offer.v1 import common_pb2
from offer.v1 import operator_pb2 as pb

Row = dict[str, Any]
_KINDS = ("cpus", "mem", "disk")


def reservations_table(rows: list[Row]) -> RenderableType:
    """Roles' reservations over the cluster, one a line (`reservations_view` rows)."""
    if not rows:
        return Text("No reservations.")
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for title in ("ROLE", "RESERVED", "OF WHICH DYNAMIC", "IN USE", "AGENTS"):
        grid.add_column(title, no_wrap=True)
    for r in rows:
        grid.add_row(
            r["role"],
            cells.res(r["reserved"]),
            cells.reserved_part(r["dynamic"]),
            cells.res(r["in_use"]),
            str(r["agents"]),
        )
    return grid


def reserve(stub: Stub, args: argparse.Namespace) -> int:
    return _change(stub, args, unreserve=False)


def unreserve(stub: Stub, args: argparse.Namespace) -> int:
    return _change(stub, args, unreserve=True)


def _change(stub: Stub, args: argparse.Namespace, unreserve: bool) -> int:
    verb = "unreserve" if unreserve else "reserve"
    unknown = sorted(set(args.resources) - set(_KINDS))
    if unknown:
        print(
            f"offerctl agent {verb}: {unknown[0]!r} cannot be reserved (give cpus, mem or disk)",
            file=sys.stderr,
        )
        return 2
    amount = common_pb2.Resources(**{k: args.resources.get(k, 0.0) for k in _KINDS})
    if unreserve:
        request = pb.UnreserveResourcesRequest(
            agent_id=args.agent_id, role=args.role, resources=amount
        )
        agent = stub.UnreserveResources(request, timeout=CALL_TIMEOUT).agent
    else:
        ask = pb.ReserveResourcesRequest(agent_id=args.agent_id, role=args.role, resources=amount)
        agent = stub.ReserveResources(ask, timeout=CALL_TIMEOUT).agent
    row = agent_view(agent)
    if args.output in ("json", "yaml"):
        print(render.dump(row, args.output), end="")
        return 0
    done = "unreserved from" if unreserve else "reserved for"
    print(
        f"{cells.res(_amount(amount))} {done} role {args.role} on agent {args.agent_id}; "
        f"its reservations now: {cells.reservations(row)}"
    )
    return 0


def _amount(r: common_pb2.Resources) -> dict[str, float]:
    return {"cpus": r.cpus, "mem": r.mem, "disk": r.disk}
