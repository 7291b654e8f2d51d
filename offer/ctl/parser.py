"""offerctl's commands and flags. Each command names its function by module
and name (parsing.lazy), imported when it runs: building this parser imports
no grpc, rich or generated protos, so that `offerctl --help` and usage
errors answer at once (see docs/offerctl.md, "Start-up")."""

from __future__ import annotations

import argparse
import os

from offer.ctl import completion
from offer.ctl.cells import sort_names
from offer.ctl.control_commands import add_app_commands, add_job_commands
from offer.ctl.names import AGENT_STATUSES, EVENT_CATEGORIES, FRAMEWORK_STATUSES, TASK_STATES
from offer.ctl.parsing import (
    Parser,
    add_output,
    add_watch,
    amounts,
    at_least_zero,
    choice,
    command_group,
    lazy,
    one_of,
    positive,
)
from offer.ctl.parsing import sub as _sub
from offer.security.flags import add_client_flags
from offer.version import version

__all__ = ["DEFAULT_MASTER", "build_parser"]

DEFAULT_MASTER = "127.0.0.1:5050"

EPILOG = """\
examples:
  offerctl status
  offerctl tasks --state running,staging --sort-by age
  offerctl tasks --all -o json | jq '.[] | select(.state == "FAILED")'
  offerctl tasks show web-1                 # with its whole status history
  offerctl agents --watch
  offerctl events --type task -o json
  offerctl logs web-1 --tail 50 --follow
  offerctl agent drain agent-3f2a --deadline 300
  offerctl quota set prod --guarantee "cpus:4;mem:4096" --limit "cpus:8;mem:8192"
  offerctl app deploy web.yaml --wait       # follow the rollout; exit 1 if it fails
  offerctl job run etl --wait --timeout 600
  OFFER_MASTER=10.0.0.5:5050 offerctl frameworks
  source <(offerctl completion bash)

exit codes: 0 ok, 1 failed (e.g. master unreachable, unknown id), 2 usage error.
docs/offerctl.md describes every command and the JSON each one prints.
"""


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
        metavar="HOST:PORT[,...]",
        help="the master's address, or every master's, comma-separated: a command goes to "
        f"the one that leads (default: $OFFER_MASTER or {DEFAULT_MASTER})",
    )
    parser.add_argument("--version", action="version", version=f"offerctl {version()}")
    add_client_flags(parser)
    group = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status_cmd = _sub(
        group,
        "status",
        "the master (address, version, uptime) and the cluster in numbers",
        ["offerctl status", "offerctl status -o json | jq .resources.idle", "offerctl status -w"],
        lazy("status", "status"),
    )
    add_output(status_cmd)
    add_watch(status_cmd)
    _add_list_commands(group)
    _add_events_command(group)

    logs = _sub(
        group,
        "logs",
        "print a task's output (stdout and stderr)",
        ["offerctl logs web-1", "offerctl logs web-1 --tail 20 --follow"],
        lazy("commands", "logs"),
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

    agent_group = command_group(
        group,
        "agent",
        "act on one agent (drain, reactivate, remove, reserve, unreserve)",
        "Act on one agent: maintenance and reservations. `offerctl agents` lists them.",
        [
            "offerctl agent drain agent-3f2a --deadline 300",
            "offerctl agent reactivate agent-3f2a",
            'offerctl agent reserve agent-3f2a --role prod "cpus:1;mem:512"',
        ],
    )
    drain = _sub(
        agent_group,
        "drain",
        "stop offers for an agent and kill its tasks after a deadline (maintenance)",
        ["offerctl agent drain agent-3f2a", "offerctl agent drain agent-3f2a --deadline 0"],
        lazy("commands", "drain"),
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
        lazy("commands", "reactivate"),
    )
    reactivate.add_argument("agent_id", metavar="AGENT", help="the agent's id")
    remove = _sub(
        agent_group,
        "remove",
        "forget an agent that is not connected (its tasks become LOST), so that a "
        "rebuilt host registers anew",
        ["offerctl agent remove agent-3f2a"],
        lazy("commands", "remove_agent"),
    )
    remove.add_argument("agent_id", metavar="AGENT", help="the agent's id")
    for verb, about, example in (
        (
            "reserve",
            "reserve part of an agent's unreserved resources for a role: offered only to "
            "frameworks of that role from then on (docs/reservations.md)",
            'offerctl agent reserve agent-3f2a --role prod "cpus:1;mem:512"',
        ),
        (
            "unreserve",
            "give back part of a role's dynamic reservation on an agent (static ones come "
            "from the agent's --resources)",
            'offerctl agent unreserve agent-3f2a --role prod "cpus:1;mem:512"',
        ),
    ):
        change = _sub(agent_group, verb, about, [example], lazy("reservations", verb))
        change.add_argument("agent_id", metavar="AGENT", help="the agent's id")
        change.add_argument("--role", required=True, help="the role (not '*')")
        change.add_argument(
            "resources",
            type=amounts,
            metavar="NAME:AMOUNT;...",
            help="how much, of cpus, mem and disk (e.g. 'cpus:1;mem:512'; MiB)",
        )
        add_output(change)
    framework_group = command_group(
        group,
        "framework",
        "act on one framework (teardown)",
        "Act on one framework. `offerctl frameworks` lists them.",
        ["offerctl framework teardown fw-1a2b3c4d5e6f"],
    )
    _sub(
        framework_group,
        "teardown",
        "remove a framework for good: its tasks are killed and it may not come back",
        ["offerctl framework teardown fw-1a2b3c4d5e6f"],
        lazy("commands", "teardown"),
    ).add_argument("framework_id", metavar="FRAMEWORK", help="the framework's id")
    _add_quota_commands(group)
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


def _add_quota_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    quota_group = command_group(
        group,
        "quota",
        "set, list and remove roles' quotas (guarantee and limit)",
        "A role's quota: a guarantee (held back from other roles until the role "
        "holds it) and a limit (never offered past). docs/quota.md explains them.",
        [
            'offerctl quota set prod --guarantee "cpus:4;mem:4096" --limit "cpus:8;mem:8192"',
            "offerctl quota list",
            "offerctl quota remove prod",
        ],
    )
    setter = _sub(
        quota_group,
        "set",
        "set a role's quota, replacing any it had (kinds: cpus, mem, disk)",
        [
            'offerctl quota set prod --guarantee "cpus:4;mem:4096"',
            'offerctl quota set prod --guarantee "cpus:4;mem:4096" --limit "cpus:8;mem:8192"',
            'offerctl quota set batch --limit "cpus:16"        # a cap, nothing guaranteed',
            'offerctl quota set prod --guarantee "cpus:2" -o json',
        ],
        lazy("quota", "quota_set"),
    )
    setter.add_argument("role", metavar="ROLE", help="the role (a framework's role)")
    setter.add_argument(
        "--guarantee",
        type=amounts,
        metavar="NAME:AMOUNT;...",
        help="the least the role is owed, held back from other roles until it holds it "
        "(e.g. 'cpus:4;mem:4096'; mem and disk in MiB)",
    )
    setter.add_argument(
        "--limit",
        type=amounts,
        metavar="NAME:AMOUNT;...",
        help="the most the role may hold; kinds not named are not limited "
        "(each at least its guarantee)",
    )
    add_output(setter)
    lister = _sub(
        quota_group,
        "list",
        "roles with a quota: guarantee, limit, what each holds and what is held back for it",
        ["offerctl quota list", "offerctl quota list -o json", "offerctl quota list --role prod"],
        lazy("quota", "quota_list"),
    )
    lister.add_argument("--role", help="only this role's quota")
    add_output(lister)
    add_watch(lister)
    remover = _sub(
        quota_group,
        "remove",
        "remove a role's quota: nothing is held back for it or limits it any more",
        ["offerctl quota remove prod"],
        lazy("quota", "quota_remove"),
    )
    remover.add_argument("role", metavar="ROLE", help="the role")


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
            "offerctl tasks --limit 20         # the 20 newest; --all: every one",
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


# How many tasks `offerctl tasks` shows unless --limit or --all says.
TASKS_SHOWN = 100


def _add_task_limit(parser: argparse.ArgumentParser) -> None:
    """--limit and --all: the master keeps a long history of tasks, and
    offerctl fetches only what it shows (newest first; --sort-by orders
    those)."""
    limits = parser.add_mutually_exclusive_group()
    limits.add_argument(
        "--limit",
        type=positive(int),
        default=TASKS_SHOWN,
        metavar="N",
        help="show the N newest that pass the filters (default: %(default)s); "
        "a last line says how many more there are",
    )
    limits.add_argument(
        "--all", action="store_true", help="show every task that passes the filters"
    )


def _add_list_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for kind, (text, examples, filters, what) in _LISTS.items():
        parser = _sub(group, kind, text, examples, lazy("lists", "list_command"))
        parser.set_defaults(kind=kind)
        add_output(parser)
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
        if kind == "tasks":
            _add_task_limit(parser)
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
            lazy("show", "show_command"),
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
        lazy("events", "events"),
    )
    add_output(watch_events)
    watch_events.add_argument(
        "--type",
        type=one_of("an event type", EVENT_CATEGORIES),
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
