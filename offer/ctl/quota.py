"""offerctl quota set|list|remove, and the quota table that `status` and
`frameworks` show under their own. The master checks every amount (names,
values, limit >= guarantee): offerctl only reads NAME:AMOUNT pairs, so that
what is refused is said once, by the master, the same for every client."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import grpc
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from offer.ctl import render, watch
from offer.ctl.commands import CALL_TIMEOUT, Stub
from offer.ctl.leader import on_leader
from offer.ctl.views import quota_view
from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc

Row = dict[str, Any]


def _pairs(d: dict[str, float]) -> str:
    return ";".join(f"{k}:{v:g}" for k, v in d.items()) or "-"


def _held(d: dict[str, float]) -> str:
    held = {k: v for k, v in d.items() if v}
    return _pairs(held) if held else "-"


def quota_table(rows: list[Row]) -> RenderableType:
    """Roles' quotas, one a line (rows as `quota_view` makes them)."""
    if not rows:
        return Text("No quotas.")
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for title in ("ROLE", "GUARANTEE", "LIMIT", "CONSUMPTION", "HELD BACK", "AT LIMIT"):
        grid.add_column(title, no_wrap=True)
    for r in rows:
        used = r["consumption"]
        grid.add_row(
            r["role"],
            _pairs(r["guarantee"]),
            _pairs(r["limit"]),
            f"{used['cpus']:g} cpu, {used['mem']:g} MiB",
            _held(r["held_back"]),
            Text("yes", style="yellow") if r["at_limit"] else "no",
        )
    return grid


def quota_list(stub: Stub, args: argparse.Namespace) -> int:
    def snapshot() -> watch.Snapshot:
        resp = stub.ListQuotas(pb.ListQuotasRequest(role=args.role or ""), timeout=CALL_TIMEOUT)
        rows = [quota_view(q) for q in resp.quotas]
        return rows, lambda: quota_table(rows)

    return watch.show(snapshot, args)


def quota_set(stub: Stub, args: argparse.Namespace) -> int:
    if args.guarantee is None and args.limit is None:
        print("offerctl quota set: give --guarantee, --limit or both", file=sys.stderr)
        return 2
    config = pb.QuotaConfig(
        role=args.role, guarantees=args.guarantee or {}, limits=args.limit or {}
    )
    resp = stub.SetQuota(pb.SetQuotaRequest(quota=config), timeout=CALL_TIMEOUT)
    row = quota_view(resp.quota)
    if args.output in ("json", "yaml"):
        print(render.dump(row, args.output), end="")
        return 0
    print(
        f"quota of role {row['role']} set: guarantee {_pairs(row['guarantee'])}, "
        f"limit {_pairs(row['limit'])}; it holds {_pairs(row['consumption'])}, "
        f"held back for it: {_held(row['held_back'])}"
    )
    return 0


def quota_remove(stub: Stub, args: argparse.Namespace) -> int:
    stub.RemoveQuota(pb.RemoveQuotaRequest(role=args.role), timeout=CALL_TIMEOUT)
    print(f"quota of role {args.role} removed: nothing is held back for it or limits it")
    return 0


def framework_role_quota(args: argparse.Namespace, framework_name: str) -> Row | None:
    """The quota of the role of the framework registered as `framework_name`
    (offer-service, offer-batch), as `quota_view` makes it; None when its
    role has none, or the master cannot be asked (the view then goes
    without). What `app show` and `job show` tell a waiting instance by."""
    security = getattr(args, "security", None)
    if security is None or not getattr(args, "master", ""):
        return None

    def ask(channel: grpc.Channel) -> Row | None:
        stub = operator_pb2_grpc.OperatorStub(channel)
        listed = stub.ListFrameworks(pb.ListFrameworksRequest(), timeout=CALL_TIMEOUT)
        roles = [
            f.info.role
            for f in sorted(listed.frameworks, key=lambda f: not f.connected)
            if f.info.name == framework_name and not f.removed
        ]
        if not roles:
            return None
        quotas = [quota_view(q) for q in listed.quotas if q.config.role == roles[0]]
        return quotas[0] if quotas else None

    try:
        found: Row | None = on_leader(args, ask)
    except grpc.RpcError:
        return None
    return found


def limit_line(quota: Row | None) -> str:
    """'waiting on role batch's quota limit (cpus:8): ...' when the role is
    at its limit, else ''."""
    if quota is None or not quota["at_limit"]:
        return ""
    held = quota["consumption"]
    return (
        f"waiting on role {quota['role']}'s quota limit ({_pairs(quota['limit'])}; it holds "
        f"{held['cpus']:g} cpu, {held['mem']:g} MiB): nothing more starts until some of its "
        "tasks end or the limit is raised (offerctl quota list)"
    )
