"""How values read in offerctl's tables and `show` views: plain strings,
and the columns of each list. Nothing here imports rich, grpc or the
generated protos, so that the argument parser (which names the columns for
--sort-by) is built without them."""

from __future__ import annotations

import datetime
import ipaddress
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


def res(r: dict[str, float]) -> str:
    return f"{r['cpus']:g} cpu, {r['mem']:g} MiB"


def reservations(a: Row) -> str:
    """'prod: 2 cpu, 2048 MiB' per role reserved on an agent (static and
    dynamic summed), '-' with none."""
    by_role: dict[str, list[float]] = {}
    for r in a["reservations"]:
        summed = by_role.setdefault(r["role"], [0.0, 0.0])
        summed[0] += r["resources"]["cpus"]
        summed[1] += r["resources"]["mem"]
    return (
        "; ".join(
            f"{role}: {cpus:g} cpu, {mem:g} MiB" for role, (cpus, mem) in sorted(by_role.items())
        )
        or "-"
    )


def reserved_part(r: dict[str, float]) -> str:
    return "-" if not r["cpus"] and not r["mem"] and not r["disk"] else res(r)


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


def clock(ts: float, zone: str = "") -> str:
    """A date and time to the millisecond: local, for histories and events;
    in `zone` (an IANA name, then shown after it) for what a job's schedule
    reads in its own zone."""
    if not zone:
        return datetime.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="milliseconds")
    when = datetime.datetime.fromtimestamp(ts, zoneinfo.ZoneInfo(zone))
    return f"{when.replace(tzinfo=None).isoformat(sep=' ', timespec='milliseconds')} {zone}"


def health(t: Row) -> str:
    return {None: "", True: "healthy", False: "unhealthy"}[t["healthy"]]


def pairs(d: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(d.items()))


def port_ranges(r: dict[str, Any]) -> str:
    return ",".join(f"{b}-{e}" for b, e in r.get("ports", []))


def address_key(address: str | None) -> tuple[int, int]:
    """Orders addresses as numbers (127.0.0.2 before 127.0.0.10), IPv4 first,
    unknown ones last."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (7, 0)
    return (ip.version, int(ip))


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
    # Its --sort-by name, when not its title's.
    sort_name: str = ""

    @property
    def name(self) -> str:
        """Its --sort-by name."""
        return self.sort_name or self.title.lower()


def _newest(field: str) -> Callable[[Row], Any]:
    """Sorting by AGE puts the youngest first."""
    return lambda r: -r[field]


COLUMNS: dict[str, list[Column]] = {
    "agents": [
        Column("ID", lambda a: a["agent_id"]),
        Column("HOSTNAME", lambda a: a["hostname"]),
        Column("ADDRESS", lambda a: a["address"] or "-", lambda a: address_key(a["address"])),
        Column("STATUS", lambda a: a["status"]),
        Column("TOTAL", lambda a: res(a["total"]), lambda a: res_key(a["total"])),
        Column("ALLOCATED", lambda a: res(a["allocated"]), lambda a: res_key(a["allocated"])),
        Column("OFFERED", lambda a: res(a["offered"]), lambda a: res_key(a["offered"]), True),
        # Parts of TOTAL offered only to frameworks of the role named.
        Column("RESERVED", reservations),
        Column(
            # The whole machine's, measured: with --resources an agent
            # offers a slice of its machine, which others may use too.
            "MACHINE USED",
            lambda a: usage(a["usage"]),
            lambda a: a["usage"]["cpus_used"] if a["usage"] else -1.0,
            sort_name="used",
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
        Column("ADDRESS", lambda t: t["address"] or "-", lambda t: address_key(t["address"]), True),
        Column("STATE", lambda t: t["state"]),
        Column("REASON", lambda t: t["reason"], wide=True),
        Column("EXIT", lambda t: text(t["exit_code"]), lambda t: t["exit_code"] or 0, True),
        Column("HEALTH", health),
        Column("IMAGE", lambda t: t["image"]),
        Column("COMMAND", lambda t: " ".join(t["command"]), wide=True),
        Column(
            "RESOURCES",
            lambda t: res(t["resources"]) + (" (revocable)" if t["revocable"] else ""),
            lambda t: res_key(t["resources"]),
        ),
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
        Column("ADDRESS", lambda o: o["address"] or "-", lambda o: address_key(o["address"])),
        Column("RESOURCES", lambda o: res(o["resources"]), lambda o: res_key(o["resources"])),
        # Of RESOURCES, the part reserved for the framework's role.
        Column(
            "RESERVED", lambda o: reserved_part(o["reserved"]), lambda o: res_key(o["reserved"])
        ),
        # Lent from the agent's slack, apart from RESOURCES (docs/revocable.md).
        Column(
            "REVOCABLE",
            lambda o: reserved_part(o["revocable"]),
            lambda o: res_key(o["revocable"]),
            True,
        ),
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
