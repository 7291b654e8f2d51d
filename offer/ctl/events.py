"""offerctl events: the cluster's events as they happen, one per line (one
JSON object per line with -o json), after a few recent ones."""

from __future__ import annotations

import argparse
from typing import Any

from rich.text import Text

from offer.ctl import cells, render
from offer.ctl.errors import CtlError
from offer.ctl.lists import Stub
from offer.ctl.views import event_view
from offer.v1 import operator_pb2 as pb

# Markers of the stream itself: shown whatever the filters.
_MARKERS = {"CAUGHT_UP", "DROPPED"}

_STYLES = {
    "AGENT_ADDED": "green",
    "AGENT_REREGISTERED": "green",
    "AGENT_DISCONNECTED": "yellow",
    "AGENT_LOST": "red",
    "AGENT_DRAINING": "yellow",
    "FRAMEWORK_SUBSCRIBED": "green",
    "FRAMEWORK_DISCONNECTED": "yellow",
    "FRAMEWORK_REMOVED": "red",
    "DROPPED": "red",
    "CAUGHT_UP": "dim",
}


def wanted(event: dict[str, Any], args: argparse.Namespace) -> bool:
    """Whether an event passes --type, --agent, --framework and --task."""
    if event["type"] in _MARKERS:
        return True
    if args.type and not any(event["type"].startswith(c.upper() + "_") for c in args.type):
        return False
    task = event["task"] or {}
    return (
        args.agent in (None, event["agent_id"])
        and args.framework in (None, event["framework_id"])
        and args.task in (None, task.get("task_id"))
    )


def line(event: dict[str, Any], wide: bool) -> Text:
    kind = event["type"]
    task = event["task"]
    style = render.STYLES.get(task["state"], "") if task else _STYLES.get(kind, "")
    out = Text()
    if wide:
        out.append(f"{event['seq']:>6}  ")
    out.append(cells.clock(event["timestamp"]) + "  ")
    out.append(f"{kind:<22}", style=style)
    if wide:
        out.append(f"  {event['agent_id'] or '-'}  {event['framework_id'] or '-'}")
    out.append("  " + event["message"])
    return out


def events(stub: Stub, args: argparse.Namespace) -> int:
    request = pb.WatchEventsRequest(replay=args.last, follow=args.follow)
    # No deadline: the stream lasts until Ctrl-C, --count, or the master stops.
    stream = stub.WatchEvents(request, timeout=None)
    console = render.console()
    shown = 0
    for message in stream:
        event = event_view(message)
        if not wanted(event, args):
            continue
        if args.output in ("json", "yaml"):
            prefix = "---\n" if args.output == "yaml" else ""
            print(prefix + render.dump(event, args.output, compact=True), end="", flush=True)
        else:
            console.print(line(event, args.output == "wide"), soft_wrap=True)
        if event["type"] not in _MARKERS:
            shown += 1
        if args.count is not None and shown >= args.count:
            stream.cancel()
            return 0
    if args.follow:
        raise CtlError(
            "the master ended the event stream (is it stopping?); "
            "run `offerctl events` again once it is back"
        )
    return 0
