"""offerctl status: the master and the whole cluster on one screen."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from offer.ctl import cells, render, watch
from offer.ctl.lists import CALL_TIMEOUT, Stub
from offer.ctl.quota import quota_table
from offer.ctl.reservations import reservations_table
from offer.ctl.views import cluster_status_view
from offer.v1 import operator_pb2 as pb


def _counts(counts: dict[str, int]) -> Text:
    """'2 active, 1 lost': the non-zero counts, coloured like the tables."""
    line = Text()
    for name, n in counts.items():
        if name == "total" or not n:
            continue
        if line:
            line.append(", ")
        label = name.replace("_", " ")
        line.append(f"{n} {label}", style=render.STYLES.get(label, ""))
    return line or Text("none")


def _amount(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:g}{unit}"


def draw(view: dict[str, Any]) -> RenderableType:
    master, leadership = view["master"], view["leadership"]
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    head.add_row(
        "Master",
        f"{master['address'] or '?'}, version {master['version']}, "
        f"up {cells.span(master['uptime_seconds'])} (since {cells.clock(master['started_at'])})",
    )
    if leadership["role"] == "standby":
        leader = leadership["leader"]
        head.add_row(
            "Role",
            Text(
                f"standby; the leader is {leader} (offerctl --master {leader} status)"
                if leader
                else "standby; no leader is elected yet",
                style="yellow",
            ),
        )
        return head
    if leadership["epoch"] is not None:
        head.add_row("Role", f"leader (epoch {leadership['epoch']})")
    for part in ("agents", "frameworks", "tasks"):
        head.add_row(part.capitalize(), _counts(view[part]))
    res = view["resources"]
    table = Table(box=None, header_style="bold", pad_edge=False)
    for title in ("RESOURCES", "CPUS", "MEM (MiB)", "DISK (MiB)"):
        table.add_column(title, justify="left" if title == "RESOURCES" else "right")
    for name in ("total", "allocated", "offered", "idle"):
        r = res[name]
        table.add_row(name, _amount(r["cpus"]), _amount(r["mem"]), _amount(r["disk"]))
    used = res["used"]
    table.add_row(
        "used (measured)",
        _amount(None if used is None else used["cpus_used"]),
        _amount(None if used is None else used["mem_used"]),
        "-",
    )
    parts: list[RenderableType] = [head, Text(""), table]
    if view["quotas"]:
        parts += [Text(""), quota_table(view["quotas"])]
    if view["reservations"]:
        parts += [Text(""), reservations_table(view["reservations"])]
    return Group(*parts)


def status(stub: Stub, args: argparse.Namespace) -> int:
    def snapshot() -> watch.Snapshot:
        view = cluster_status_view(stub.GetStatus(pb.GetStatusRequest(), timeout=CALL_TIMEOUT))
        return view, lambda: draw(view)

    return watch.show(snapshot, args)
