"""`offerctl`: what the cluster is doing, for people and for scripts.

Exit codes: 0 ok, 1 the call failed (e.g. master unreachable), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import grpc

from offer.ctl import apps, commands, completion, events, jobs, lists, show, status
from offer.ctl.control_commands import add_app_commands, add_job_commands
from offer.ctl.errors import CtlError
from offer.ctl.parsing import (
    Command,
    Parser,
    add_output,
    add_watch,
    at_least_zero,
    choice,
    one_of,
    positive,
)
from offer.ctl.parsing import sub as _sub
from offer.ctl.render import sort_names
from offer.ctl.views import AGENT_STATUSES, FRAMEWORK_STATUSES, TASK_STATES
from offer.security.client import ClientSecurity, ClientSecurityError, add_client_flags

__all__ = ["Command", "build_parser", "main"]

DEFAULT_MASTER = "127.0.0.1:5050"

EPILOG = """\
examples:
  offerctl status
  offerctl tasks --state running,staging --sort-by age
  offerctl tasks -o json | jq '.[] | select(.state == "FAILED")'
  offerctl tasks show web-1                 # with its whole status history
  offerctl agents --watch
  offerctl events --type task -o json
  offerctl logs web-1 --tail 50 --follow
  offerctl agent drain agent-3f2a --deadline 300
  OFFER_MASTER=10.0.0.5:5050 offerctl frameworks
  source <(offerctl completion bash)

exit codes: 0 ok, 1 failed (e.g. master unreachable, unknown id), 2 usage error.
docs/offerctl.md describes every command and the JSON each one prints.
"""


def _output(sub: argparse.ArgumentParser) -> None:
    add_output(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="offerctl",
        description="Ask the offer master what the cluster is doing, and steer it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--master",
        default=os.environ.get("OFFER_MASTER", DEFAULT_MASTER),
        help=f"master address HOST:PORT (default: $OFFER_MASTER or {DEFAULT_MASTER})",
    )
    add_client_flags(parser)
    group = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status_cmd = _sub(
        group,
        "status",
        "the master (address, version, uptime) and the cluster in numbers",
        ["offerctl status", "offerctl status -o json | jq .resources.idle", "offerctl status -w"],
        status.status,
    )
    _output(status_cmd)
    add_watch(status_cmd)
    _add_list_commands(group)
    _add_events_command(group)

    logs = _sub(
        group,
        "logs",
        "print a task's output (stdout and stderr)",
        ["offerctl logs web-1", "offerctl logs web-1 --tail 20 --follow"],
        commands.logs,
    )
    logs.add_argument("task_id", metavar="TASK", help="the task's id")
    logs.add_argument("--framework", help="the task's framework, if several use this id")
    logs.add_argument(
        "--tail",
        type=int,
        default=0,
        metavar="N",
        help="only the last N lines (default: all that is kept)",
    )
    logs.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="keep printing new output until the task ends (Ctrl-C stops)",
    )

    agent = group.add_parser(
        "agent", help="act on one agent (drain, reactivate)", description="Act on one agent."
    )
    agent_group = agent.add_subparsers(dest="action", required=True, metavar="ACTION")
    drain = _sub(
        agent_group,
        "drain",
        "stop offers for an agent and kill its tasks after a deadline (maintenance)",
        ["offerctl agent drain agent-3f2a", "offerctl agent drain agent-3f2a --deadline 0"],
        commands.drain,
    )
    drain.add_argument("agent_id", metavar="AGENT", help="the agent's id")
    drain.add_argument(
        "--deadline",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds before its tasks are killed (default: %(default)s)",
    )
    reactivate = _sub(
        agent_group,
        "reactivate",
        "end an agent's drain: it gets offers again",
        ["offerctl agent reactivate agent-3f2a"],
        commands.reactivate,
    )
    reactivate.add_argument("agent_id", metavar="AGENT", help="the agent's id")
    framework = group.add_parser(
        "framework", help="act on one framework (teardown)", description="Act on one framework."
    )
    framework_group = framework.add_subparsers(dest="action", required=True, metavar="ACTION")
    _sub(
        framework_group,
        "teardown",
        "remove a framework for good: its tasks are killed and it may not come back",
        ["offerctl framework teardown fw-1a2b3c4d5e6f"],
        commands.teardown,
    ).add_argument("framework_id", metavar="FRAMEWORK", help="the framework's id")
    add_app_commands(group)
    add_job_commands(group)
    shells = _sub(
        group,
        "completion",
        "print a shell completion script for offerctl",
        [
            "source <(offerctl completion bash)          # in ~/.bashrc",
            "offerctl completion zsh > ~/.zfunc/_offerctl  # a directory in $fpath",
        ],
        completion.completion,
        parents=[],
    )
    shells.add_argument(
        "shell", choices=completion.SHELLS, metavar="SHELL", help="bash, zsh or tcsh"
    )
    shells.set_defaults(target="local")
    return parser


# kind -> (what the list is, examples, its filters, what `show` takes)
_LISTS: dict[str, tuple[str, list[str], tuple[str, ...], str]] = {
    "agents": (
        "list agents, their resources and usage",
        [
            "offerctl agents",
            "offerctl agents --state draining,lost",
            "offerctl agents -o wide --sort-by allocated --reverse",
            "offerctl agents show host3 -o yaml",
        ],
        ("state",),
        "AGENT",
    ),
    "frameworks": (
        "list frameworks and their shares",
        [
            "offerctl frameworks",
            "offerctl frameworks --role prod --sort-by share --reverse",
            "offerctl frameworks show offer-service",
        ],
        ("state", "role"),
        "FRAMEWORK",
    ),
    "tasks": (
        "list tasks, newest first",
        [
            "offerctl tasks --state failed",
            "offerctl tasks --framework offer-service --agent host1 -o wide",
            "offerctl tasks --sort-by state -o json",
            "offerctl tasks show web-1",
        ],
        ("state", "framework", "agent", "role"),
        "TASK",
    ),
    "offers": (
        "list outstanding offers (made, not yet used, declined or rescinded), oldest first",
        [
            "offerctl offers",
            "offerctl offers --framework fw-1234 -o json",
            "offerctl offers show 5f3a-O12",
        ],
        ("framework", "agent", "role"),
        "OFFER",
    ),
}

_STATES = {
    "agents": ("an agent status", AGENT_STATUSES),
    "frameworks": ("a framework status", FRAMEWORK_STATUSES),
    "tasks": ("a task state", TASK_STATES),
}

_FILTER_HELP = {
    "framework": "only those of this framework (its id or name)",
    "agent": "only those on this agent (its id or hostname)",
    "role": "only those of frameworks in this role",
}


def _add_list_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for kind, (text, examples, filters, what) in _LISTS.items():
        parser = _sub(group, kind, text, examples, lists.list_command)
        parser.set_defaults(kind=kind)
        _output(parser)
        add_watch(parser)
        for name in filters:
            if name == "state":
                what_state, valid = _STATES[kind]
                parser.add_argument(
                    "--state",
                    type=one_of(what_state, valid),
                    metavar="STATE[,STATE...]",
                    help="only those in these states: "
                    + ", ".join(v.lower().replace(" ", "-") for v in valid),
                )
            else:
                parser.add_argument(f"--{name}", help=_FILTER_HELP[name])
        parser.add_argument(
            "--sort-by",
            type=choice(f"a column of offerctl {kind}", sort_names(kind)),
            metavar="COLUMN",
            help="order by this column: " + ", ".join(sort_names(kind)),
        )
        parser.add_argument("--reverse", action="store_true", help="reverse the order")
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        single = kind.removesuffix("s")
        also = {"agents": " (or hostname)", "frameworks": " (or name)"}.get(kind, "")
        detail = {
            "agents": "with its live tasks and offers",
            "frameworks": "with its live tasks and offers",
            "tasks": "with its whole status history",
            "offers": "",
        }[kind]
        shown = _sub(
            actions,
            "show",
            f"one {single} in full{', ' + detail if detail else ''}",
            [examples[-1], f"offerctl {kind} show {what} -o json"],
            show.show_command,
        )
        shown.add_argument("ident", metavar=what, help=f"the {single}'s id{also}")
        if kind == "tasks":
            shown.add_argument(
                "--framework",
                default=argparse.SUPPRESS,
                help="the task's framework, if several use this id",
            )
        add_output(shown, inherit=True)
        add_watch(shown, inherit=True)


def _add_events_command(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    watch_events = _sub(
        group,
        "events",
        "print cluster events as they happen (agents, frameworks, task state changes)",
        [
            "offerctl events",
            "offerctl events --type agent,framework --last 100 --no-follow",
            "offerctl events --task web-1 -o json | jq -r .task.state",
            "offerctl events --type task --count 1   # wait for the next task change",
        ],
        events.events,
    )
    _output(watch_events)
    watch_events.add_argument(
        "--type",
        type=one_of("an event type", events.CATEGORIES),
        metavar="TYPE[,TYPE...]",
        help="only events about these: agent, framework, task",
    )
    watch_events.add_argument("--agent", help="only events about this agent id")
    watch_events.add_argument("--framework", help="only events about this framework id")
    watch_events.add_argument("--task", help="only changes of this task id")
    watch_events.add_argument(
        "--last",
        type=at_least_zero,
        default=10,
        metavar="N",
        help="start with up to N recent events (the master keeps 1000; default: %(default)s)",
    )
    watch_events.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep printing new events until Ctrl-C (default); --no-follow stops "
        "after the recent ones",
    )
    watch_events.add_argument(
        "--count",
        type=positive(int),
        metavar="N",
        help="stop after N events (matching the filters)",
    )


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    target = getattr(args, "target", "")
    if target == "local":  # a command that calls nothing gets the parser in place of a stub
        sys.exit(args.run(parser, args))
    address, what = args.master, "the master"
    try:
        args.security = ClientSecurity.from_args(args)
        if target:
            address, what = _framework_address(args, target), f"offer-{target}"
        with args.security.channel(address) as channel:
            stubs: dict[str, Any] = {"service": apps.Stub, "batch": jobs.Stub}
            stub = stubs.get(target, commands.Stub)(channel)
            code = args.run(stub, args)
    except apps.NoServiceError:
        flag = f"--{target}"
        print(
            f"offerctl: no offer-{target} is registered with the master at {args.master}; "
            f"start offer-{target}, or give its address with {flag} or OFFER_{target.upper()}",
            file=sys.stderr,
        )
        code = 1
    except (CtlError, ClientSecurityError) as err:
        print(f"offerctl: {err}", file=sys.stderr)
        code = 1
    except grpc.RpcError as err:
        print(_explain(err, address, what), file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # e.g. `offerctl tasks | head`: the reader has enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


def _framework_address(args: argparse.Namespace, target: str) -> str:
    """--service/--batch (or OFFER_SERVICE/OFFER_BATCH), else the control
    address offer-service/offer-batch registered with the master."""
    given = getattr(args, target)
    if given:
        return str(given)
    with args.security.channel(args.master) as channel:
        return apps.find_service(channel, f"offer-{target}")


def _explain(err: grpc.RpcError, address: str, what: str) -> str:
    code, detail = err.code(), err.details()
    if code == grpc.StatusCode.UNAVAILABLE and "connect" in (detail or "").lower():
        flag = {"offer-service": "service", "offer-batch": "batch"}.get(what, "master")
        hint = (
            f"is {what.removeprefix('the ')} running there? Set --{flag} or OFFER_{flag.upper()}."
        )
        if what == "the master":
            hint = "is offer-master running there? Set --master or OFFER_MASTER."
        return f"offerctl: cannot reach {what} at {address} (unavailable); {hint}"
    if code == grpc.StatusCode.UNAVAILABLE:  # e.g. a stream cut off when the master died
        return (
            f"offerctl: lost the connection to {what} at {address} ({detail}); is it still running?"
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"offerctl: {what} at {address} did not answer in time"
    return f"offerctl: {detail} ({code.name.lower().replace('_', ' ')})"


if __name__ == "__main__":
    main()
