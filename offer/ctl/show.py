"""offerctl agents|frameworks|tasks|offers show ID: one object in full, with
what belongs to it (an agent's or a framework's live tasks and offers, a
task's status history)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import grpc
from rich.console import RenderableType

from offer.ctl import cells, render, watch
from offer.ctl.errors import CtlError, not_found
from offer.ctl.lists import CALL_TIMEOUT, Row, Stub, fetch, find, live_tasks
from offer.ctl.views import task_detail_view
from offer.v1 import operator_pb2 as pb


def _when(ts: float) -> str:
    return f"{cells.clock(ts)} ({cells.ago(ts)} ago)"


def _with_work(stub: Stub, row: Row, *, agent_id: str = "", framework_id: str = "") -> Row:
    """`row` with the live tasks and the outstanding offers of its agent or framework."""
    ids = {"agent_id": agent_id, "framework_id": framework_id}
    return {
        **row,
        "tasks": live_tasks(stub, **ids),
        "offers": fetch(stub, "offers", **ids),
    }


def _summed(usages: list[Row | None]) -> Row | None:
    """Usage added up (the oldest timestamp), or None if none was measured."""
    found = [u for u in usages if u is not None]
    if not found:
        return None
    return {
        "cpus_used": round(sum(u["cpus_used"] for u in found), 3),
        "mem_used": round(sum(u["mem_used"] for u in found), 1),
        "timestamp": min(u["timestamp"] for u in found),
    }


def _sections(row: Row) -> list[tuple[str, RenderableType]]:
    return [
        ("Tasks (live)", render.table("tasks", row["tasks"])),
        ("Offers", render.table("offers", row["offers"])),
    ]


def _agent(stub: Stub, ident: str, args: argparse.Namespace) -> watch.Snapshot:
    agent = find(fetch(stub, "agents"), "agents", ident, "hostname")
    aid = agent["agent_id"]
    data = _with_work(stub, agent, agent_id=aid)
    data["tasks_usage"] = _summed([t["usage"] for t in data["tasks"]])
    fields = [
        ("ID", aid),
        ("Hostname", agent["hostname"]),
        ("Address", agent["address"] or "-"),
        ("Status", agent["status"]),
        ("Total", cells.res(agent["total"]) + " (what it offers)"),
        ("Allocated", cells.res(agent["allocated"])),
        ("Offered", cells.res(agent["offered"])),
        ("Reserved", _reserved(agent)),
        ("Tasks used", cells.usage(data["tasks_usage"]) + " (its live tasks' containers)"),
        # Apart from the total: with --resources the agent offers a slice of
        # a machine that other programs use too.
        ("Machine used", cells.usage(agent["usage"]) + " (the whole machine, measured)"),
        ("Attributes", cells.pairs(agent["attributes"]) or "-"),
        ("Registered", _when(agent["registered_at"])),
    ]
    if agent["drain_deadline"] is not None:
        fields.append(("Drain deadline", cells.clock(agent["drain_deadline"])))
    return data, lambda: render.describe(fields, _sections(data))


def _reserved(agent: Row) -> str:
    """Each reservation, its kind, and what of its role's reservation is in use."""
    if not agent["reservations"]:
        return "- (all unreserved)"
    in_use = agent["reserved_in_use"]
    return "; ".join(
        f"{r['role']}: {cells.res(r['resources'])} ({r['type']}"
        + (f", {cells.res(in_use[r['role']])} in use by the role)" if r["role"] in in_use else ")")
        for r in agent["reservations"]
    )


def _framework(stub: Stub, ident: str, args: argparse.Namespace) -> watch.Snapshot:
    fw = find(fetch(stub, "frameworks"), "frameworks", ident, "name")
    fid = fw["framework_id"]
    data = _with_work(stub, fw, framework_id=fid)
    fields = [
        ("ID", fid),
        ("Name", fw["name"]),
        ("Role", fw["role"]),
        ("User", fw["user"] or "-"),
        ("Status", fw["status"]),
        ("Suppressed", "yes" if fw["suppressed"] else "no"),
        ("Control address", fw["control_address"] or "-"),
        ("Failover timeout", f"{fw['failover_timeout']:g}s"),
        ("Allocated", cells.res(fw["allocated"])),
        ("Offered", cells.res(fw["offered"])),
        ("Dominant share", f"{fw['dominant_share']:.1%}"),
        ("Registered", _when(fw["registered_at"])),
    ]
    return data, lambda: render.describe(fields, _sections(data))


def _task(stub: Stub, ident: str, args: argparse.Namespace) -> watch.Snapshot:
    request = pb.GetTaskRequest(task_id=ident, framework_id=getattr(args, "framework", "") or "")
    try:
        data = task_detail_view(stub.GetTask(request, timeout=CALL_TIMEOUT))
    except grpc.RpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            details = err.details() or ""
            # The master's own words when it knew the task once (it ended
            # and was pruned from the kept history); else the usual line.
            if "no longer kept" in details:
                raise CtlError(details) from None
            raise not_found("tasks", ident) from None
        raise
    fields = [
        ("ID", data["task_id"]),
        ("Name", data["name"]),
        ("Framework", data["framework_id"]),
        ("Agent", data["agent_id"]),
        ("Address", data["address"] or "-"),
        ("State", data["state"]),
        ("Reason", data["reason"]),
        ("Message", data["message"] or "-"),
        ("Exit code", cells.text(data["exit_code"]) or "-"),
        ("Health", cells.health(data) or "-"),
        ("Image", data["image"]),
        ("Command", " ".join(data["command"]) or "(the image's)"),
        ("Resources", cells.res(data["resources"])),
        ("Revocable", "yes: its agent may preempt it" if data["revocable"] else "no"),
        ("Host ports", ",".join(map(str, data["host_ports"])) or "-"),
        ("Used", cells.usage(data["usage"])),
        ("Created", _when(data["created_at"])),
    ]
    history = render.table("history", data["history"])
    return data, lambda: render.describe(fields, [("History", history)])


def _offer(stub: Stub, ident: str, args: argparse.Namespace) -> watch.Snapshot:
    offer = find(fetch(stub, "offers"), "offers", ident)
    fields = [
        ("ID", offer["offer_id"]),
        ("Framework", offer["framework_id"]),
        ("Agent", offer["agent_id"]),
        ("Hostname", offer["hostname"]),
        ("Address", offer["address"] or "-"),
        ("Resources", cells.res(offer["resources"])),
        ("Revocable", cells.reserved_part(offer["revocable"])),
        ("Ports", cells.port_ranges(offer["resources"]) or "-"),
        ("Attributes", cells.pairs(offer["attributes"]) or "-"),
        ("Made", _when(offer["created_at"])),
    ]
    return offer, lambda: render.describe(fields)


SHOW: dict[str, Callable[[Stub, str, argparse.Namespace], watch.Snapshot]] = {
    "agents": _agent,
    "frameworks": _framework,
    "tasks": _task,
    "offers": _offer,
}


def show_command(stub: Stub, args: argparse.Namespace) -> int:
    return watch.show(lambda: SHOW[args.kind](stub, args.ident, args), args)
