"""How offerctl shows things: tables for people (colour only on a terminal),
JSON and YAML for scripts. Tables are rendered from the same dicts that
`-o json` prints, so what a person sees and what a script reads never
disagree."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

Row = dict[str, Any]

# Terminal colours of states and statuses; plain text elsewhere.
STYLES = {
    "RUNNING": "green",
    "FINISHED": "green",
    "active": "green",
    "FAILED": "red",
    "ERROR": "red",
    "LOST": "red",
    "lost": "red",
    "KILLED": "yellow",
    "KILLING": "yellow",
    "draining": "yellow",
    "disconnected": "yellow",
    "engine unavailable": "red",
    "removed": "dim",
}


def res(r: dict[str, float]) -> str:
    return f"{r['cpus']:g} cpu, {r['mem']:g} MiB"


def res_key(r: dict[str, float]) -> tuple[float, float]:
    return (r["cpus"], r["mem"])


def usage(u: dict[str, float] | None) -> str:
    return "-" if u is None else f"{u['cpus_used']:.2f} cpu, {u['mem_used']:.0f} MiB"


def ago(ts: float) -> str:
    return span(time.time() - ts)


def span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def clock(ts: float) -> str:
    """A local date and time to the millisecond, for histories and events."""
    return datetime.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="milliseconds")


def health(t: Row) -> str:
    return {None: "", True: "healthy", False: "unhealthy"}[t["healthy"]]


def pairs(d: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(d.items()))


def port_ranges(r: dict[str, Any]) -> str:
    return ",".join(f"{b}-{e}" for b, e in r.get("ports", []))


def text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    title: str
    cell: Callable[[Row], str]
    # What --sort-by orders by; by default the cell's text.
    key: Callable[[Row], Any] | None = None
    # Shown with -o wide only.
    wide: bool = False

    @property
    def name(self) -> str:
        """Its --sort-by name."""
        return self.title.lower()


def _newest(field: str) -> Callable[[Row], Any]:
    """Sorting by AGE puts the youngest first."""
    return lambda r: -r[field]


COLUMNS: dict[str, list[Column]] = {
    "agents": [
        Column("ID", lambda a: a["agent_id"]),
        Column("HOSTNAME", lambda a: a["hostname"]),
        Column("STATUS", lambda a: a["status"]),
        Column("TOTAL", lambda a: res(a["total"]), lambda a: res_key(a["total"])),
        Column("ALLOCATED", lambda a: res(a["allocated"]), lambda a: res_key(a["allocated"])),
        Column("OFFERED", lambda a: res(a["offered"]), lambda a: res_key(a["offered"]), True),
        Column(
            "USED",
            lambda a: usage(a["usage"]),
            lambda a: a["usage"]["cpus_used"] if a["usage"] else -1.0,
        ),
        Column("ATTRIBUTES", lambda a: pairs(a["attributes"])),
        Column(
            "DRAIN",
            lambda a: "" if a["drain_deadline"] is None else clock(a["drain_deadline"]),
            lambda a: a["drain_deadline"] or 0.0,
            True,
        ),
        Column("AGE", lambda a: ago(a["registered_at"]), _newest("registered_at")),
    ],
    "frameworks": [
        Column("ID", lambda f: f["framework_id"]),
        Column("NAME", lambda f: f["name"]),
        Column("ROLE", lambda f: f["role"]),
        Column("USER", lambda f: f["user"], wide=True),
        Column("STATUS", lambda f: f["status"] + (", suppressed" if f["suppressed"] else "")),
        Column("TASKS", lambda f: str(f["active_tasks"]), lambda f: f["active_tasks"]),
        Column("ALLOCATED", lambda f: res(f["allocated"]), lambda f: res_key(f["allocated"])),
        Column("OFFERED", lambda f: res(f["offered"]), lambda f: res_key(f["offered"]), True),
        Column("SHARE", lambda f: f"{f['dominant_share']:.0%}", lambda f: f["dominant_share"]),
        Column("CONTROL", lambda f: text(f["control_address"]), wide=True),
        Column("AGE", lambda f: ago(f["registered_at"]), _newest("registered_at")),
    ],
    "tasks": [
        Column("ID", lambda t: t["task_id"]),
        Column("NAME", lambda t: t["name"], wide=True),
        Column("FRAMEWORK", lambda t: t["framework_id"]),
        Column("AGENT", lambda t: t["agent_id"]),
        Column("STATE", lambda t: t["state"]),
        Column("REASON", lambda t: t["reason"], wide=True),
        Column("EXIT", lambda t: text(t["exit_code"]), lambda t: t["exit_code"] or 0, True),
        Column("HEALTH", health),
        Column("IMAGE", lambda t: t["image"]),
        Column("COMMAND", lambda t: " ".join(t["command"]), wide=True),
        Column("RESOURCES", lambda t: res(t["resources"]), lambda t: res_key(t["resources"])),
        Column("PORTS", lambda t: ",".join(map(str, t["host_ports"])), wide=True),
        Column(
            "USED",
            lambda t: usage(t["usage"]),
            lambda t: t["usage"]["cpus_used"] if t["usage"] else -1.0,
        ),
        Column("AGE", lambda t: ago(t["created_at"]), _newest("created_at")),
        Column("MESSAGE", lambda t: t["message"]),
    ],
    "offers": [
        Column("ID", lambda o: o["offer_id"]),
        Column("FRAMEWORK", lambda o: o["framework_id"]),
        Column("AGENT", lambda o: o["agent_id"]),
        Column("HOSTNAME", lambda o: o["hostname"]),
        Column("RESOURCES", lambda o: res(o["resources"]), lambda o: res_key(o["resources"])),
        Column("PORTS", lambda o: port_ranges(o["resources"]), wide=True),
        Column("ATTRIBUTES", lambda o: pairs(o["attributes"]), wide=True),
        Column("AGE", lambda o: ago(o["created_at"]), _newest("created_at")),
    ],
    "history": [
        Column("TIME", lambda s: clock(s["timestamp"])),
        Column("STATE", lambda s: s["state"]),
        Column("REASON", lambda s: s["reason"]),
        Column("HEALTH", health),
        Column("EXIT", lambda s: text(s["exit_code"])),
        Column("MESSAGE", lambda s: s["message"]),
    ],
}


def sort_names(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind]]


def sort_rows(kind: str, rows: list[Row], by: str | None, reverse: bool) -> list[Row]:
    """Rows ordered by the column named `by` (a name from sort_names);
    stable, so that equal rows keep the master's order."""
    if by is None:
        return list(reversed(rows)) if reverse else rows
    [column] = [c for c in COLUMNS[kind] if c.name == by]
    key = column.key or column.cell
    return sorted(rows, key=key, reverse=reverse)


def _cell(title: str, value: str) -> Text:
    # Text, not a str: rich would read "[...]" in a message as markup.
    return Text(value, style=STYLES.get(value, "") if title in ("STATE", "STATUS") else "")


def table(kind: str, rows: Sequence[Row], wide: bool = False) -> RenderableType:
    if not rows:
        return Text(f"No {kind}.")
    columns = [c for c in COLUMNS[kind] if wide or not c.wide]
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for c in columns:
        # Ids are what people copy into the next command: never fold them.
        grid.add_column(c.title, no_wrap=c.title not in ("MESSAGE", "COMMAND"), overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(c.title, c.cell(row)) for c in columns))
    return grid


def describe(
    fields: Sequence[tuple[str, str]], sections: Sequence[tuple[str, RenderableType]] = ()
) -> RenderableType:
    """One object as `Field: value` lines, then titled sections (its tasks,
    its history)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in fields:
        grid.add_row(name + ":", _cell("STATE" if name in ("State", "Status") else "", value))
    parts: list[RenderableType] = [grid]
    for title, body in sections:
        parts += [Text(""), Text(title + ":", style="bold"), body]
    return Group(*parts)


# Widest a line gets: on a pipe always, on a terminal when a table needs it.
WIDEST = 250


def console(content: RenderableType | None = None) -> Console:
    """Where to print `content`. A pipe or a file gets no colour and no
    terminal width to fit. A terminal narrower than a table gets the table's
    full lines to wrap, as kubectl's do, rather than cropped ids."""
    found = Console()
    if not found.is_terminal:
        return Console(width=WIDEST)
    if content is not None:
        natural = found.measure(content, options=found.options.update_width(WIDEST)).maximum
        if natural > found.width:
            return Console(width=natural, force_terminal=True)
    return found


def dump(data: Any, output: str, compact: bool = False) -> str:
    """JSON (one line when compact) or YAML text of `data`, ending in a newline."""
    if output == "yaml":
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    if compact:
        return json.dumps(data, separators=(",", ":")) + "\n"
    return json.dumps(data, indent=2) + "\n"


def emit(data: Any, human: Callable[[], RenderableType], output: str) -> None:
    """Prints `data` as -o asks: JSON or YAML as is, else what `human` draws."""
    if output in ("json", "yaml"):
        print(dump(data, output), end="", flush=True)
        return
    content = human()
    out = console(content)
    if out.is_terminal:
        out.print(content)
        return
    with out.capture() as captured:
        out.print(content)
    # rich pads every cell to the table's width: trailing blanks help no reader.
    print("\n".join(line.rstrip() for line in captured.get().splitlines()), flush=True)
