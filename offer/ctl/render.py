"""How offerctl shows lists: tables for people, JSON for scripts. Tables are
rendered from the same dicts that `-o json` prints."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

Row = dict[str, Any]


def _res(r: dict[str, float]) -> str:
    return f"{r['cpus']:g} cpu, {r['mem']:g} MiB"


def _usage(u: dict[str, float] | None) -> str:
    return "-" if u is None else f"{u['cpus_used']:.2f} cpu, {u['mem_used']:.0f} MiB"


def _ago(ts: float) -> str:
    seconds = max(0, int(time.time() - ts))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def _health(t: Row) -> str:
    return {None: "", True: "healthy", False: "unhealthy"}[t["healthy"]]


COLUMNS: dict[str, list[tuple[str, Callable[[Row], str]]]] = {
    "agents": [
        ("ID", lambda a: a["agent_id"]),
        ("HOSTNAME", lambda a: a["hostname"]),
        ("STATUS", lambda a: a["status"]),
        ("TOTAL", lambda a: _res(a["total"])),
        ("ALLOCATED", lambda a: _res(a["allocated"])),
        ("USED", lambda a: _usage(a["usage"])),
        ("ATTRIBUTES", lambda a: ",".join(f"{k}={v}" for k, v in sorted(a["attributes"].items()))),
        ("AGE", lambda a: _ago(a["registered_at"])),
    ],
    "frameworks": [
        ("ID", lambda f: f["framework_id"]),
        ("NAME", lambda f: f["name"]),
        ("ROLE", lambda f: f["role"]),
        ("STATUS", lambda f: f["status"] + (", suppressed" if f["suppressed"] else "")),
        ("TASKS", lambda f: str(f["active_tasks"])),
        ("ALLOCATED", lambda f: _res(f["allocated"])),
        ("SHARE", lambda f: f"{f['dominant_share']:.0%}"),
        ("AGE", lambda f: _ago(f["registered_at"])),
    ],
    "tasks": [
        ("ID", lambda t: t["task_id"]),
        ("FRAMEWORK", lambda t: t["framework_id"]),
        ("AGENT", lambda t: t["agent_id"]),
        ("STATE", lambda t: t["state"]),
        ("HEALTH", _health),
        ("IMAGE", lambda t: t["image"]),
        ("RESOURCES", lambda t: _res(t["resources"])),
        ("USED", lambda t: _usage(t["usage"])),
        ("AGE", lambda t: _ago(t["created_at"])),
        ("MESSAGE", lambda t: t["message"]),
    ],
}


def render(kind: str, rows: list[Row], output: str) -> None:
    if output == "json":
        print(json.dumps(rows, indent=2))
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for title, _ in COLUMNS[kind]:
        # Ids are what people copy into the next command: never fold them.
        table.add_column(title, no_wrap=title != "MESSAGE", overflow="fold")
    for row in rows:
        table.add_row(*(cell(row) for _, cell in COLUMNS[kind]))
    console = Console()
    if not console.is_terminal:
        console = Console(width=250)  # a pipe or a file: no terminal width to fit
    if rows:
        console.print(table)
    else:
        console.print(f"No {kind}.")
