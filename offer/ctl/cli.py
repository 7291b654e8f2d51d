"""`offerctl`: what the cluster is doing, for people and for scripts.

Exit codes: 0 ok, 1 the call failed (e.g. master unreachable), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import grpc
from rich.console import Console
from rich.table import Table

from offer.ctl.views import agent_view, framework_view, task_view
from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc

DEFAULT_MASTER = "127.0.0.1:5050"
CALL_TIMEOUT = 5.0

EPILOG = """\
examples:
  offerctl agents
  offerctl tasks -o json | jq '.[] | select(.state == "FAILED")'
  offerctl --master 10.0.0.5:5050 frameworks
  OFFER_MASTER=10.0.0.5:5050 offerctl tasks --framework fw-1234
"""


class CtlError(Exception):
    """A failure to report in one line, with exit code 1."""


def _fetch_agents(stub: operator_pb2_grpc.OperatorStub, args: argparse.Namespace) -> list[Any]:
    resp = stub.ListAgents(pb.ListAgentsRequest(), timeout=CALL_TIMEOUT)
    return [agent_view(a) for a in resp.agents]


def _fetch_frameworks(stub: operator_pb2_grpc.OperatorStub, args: argparse.Namespace) -> list[Any]:
    resp = stub.ListFrameworks(pb.ListFrameworksRequest(), timeout=CALL_TIMEOUT)
    return [framework_view(f) for f in resp.frameworks]


def _fetch_tasks(stub: operator_pb2_grpc.OperatorStub, args: argparse.Namespace) -> list[Any]:
    resp = stub.ListTasks(
        pb.ListTasksRequest(framework_id=args.framework or ""), timeout=CALL_TIMEOUT
    )
    tasks = [task_view(t) for t in resp.tasks]
    if args.state:
        tasks = [t for t in tasks if t["state"] == args.state.upper()]
    return tasks


def _res(r: dict[str, float]) -> str:
    return f"{r['cpus']:g} cpu, {r['mem']:g} MiB"


def _ago(ts: float) -> str:
    seconds = max(0, int(time.time() - ts))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


COLUMNS: dict[str, list[tuple[str, Callable[[dict[str, Any]], str]]]] = {
    "agents": [
        ("ID", lambda a: a["agent_id"]),
        ("HOSTNAME", lambda a: a["hostname"]),
        ("STATUS", lambda a: a["status"]),
        ("TOTAL", lambda a: _res(a["total"])),
        ("ALLOCATED", lambda a: _res(a["allocated"])),
        ("OFFERED", lambda a: _res(a["offered"])),
        ("AGE", lambda a: _ago(a["registered_at"])),
    ],
    "frameworks": [
        ("ID", lambda f: f["framework_id"]),
        ("NAME", lambda f: f["name"]),
        ("ROLE", lambda f: f["role"]),
        ("STATUS", lambda f: f["status"]),
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
        ("IMAGE", lambda t: t["image"]),
        ("RESOURCES", lambda t: _res(t["resources"])),
        ("AGE", lambda t: _ago(t["created_at"])),
        ("MESSAGE", lambda t: t["message"]),
    ],
}

FETCHERS = {"agents": _fetch_agents, "frameworks": _fetch_frameworks, "tasks": _fetch_tasks}


def render(kind: str, rows: list[dict[str, Any]], output: str) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="offerctl",
        description="Ask the offer master what the cluster is doing.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--master",
        default=os.environ.get("OFFER_MASTER", DEFAULT_MASTER),
        help=f"master address HOST:PORT (default: $OFFER_MASTER or {DEFAULT_MASTER})",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    helps = {
        "agents": ("list agents and their resources", "offerctl agents -o json"),
        "frameworks": ("list frameworks and their shares", "offerctl frameworks"),
        "tasks": ("list tasks, newest first", "offerctl tasks --state failed"),
    }
    for name, (text, example) in helps.items():
        sub = commands.add_parser(
            name,
            help=text,
            description=text.capitalize() + ".",
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument(
            "-o",
            "--output",
            choices=["table", "json"],
            default="table",
            help="output format (default: %(default)s)",
        )
        if name == "tasks":
            sub.add_argument("--framework", help="only this framework's tasks")
            sub.add_argument("--state", help="only tasks in this state, e.g. running or failed")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        with grpc.insecure_channel(args.master) as channel:
            stub = operator_pb2_grpc.OperatorStub(channel)
            rows = FETCHERS[args.command](stub, args)
    except grpc.RpcError as err:
        code = err.code()
        detail = err.details()
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            print(
                f"offerctl: cannot reach the master at {args.master} ({code.name.lower()}); "
                "is offer-master running there? Set --master or OFFER_MASTER.",
                file=sys.stderr,
            )
        else:
            print(f"offerctl: the master at {args.master} refused: {detail}", file=sys.stderr)
        sys.exit(1)
    try:
        render(args.command, rows, args.output)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `offerctl tasks | head`: the reader has enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    main()
