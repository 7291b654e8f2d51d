"""`offerctl`: what the cluster is doing, for people and for scripts.

Exit codes: 0 ok, 1 the call failed (e.g. master unreachable), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import grpc

from offer.ctl import apps, commands, jobs

DEFAULT_MASTER = "127.0.0.1:5050"

EPILOG = """\
examples:
  offerctl agents
  offerctl tasks -o json | jq '.[] | select(.state == "FAILED")'
  offerctl logs web-1 --tail 50 --follow
  offerctl agent drain agent-3f2a --deadline 300
  OFFER_MASTER=10.0.0.5:5050 offerctl tasks --framework fw-1234
"""

# Each command gets the stub of the API it talks to (the master's or offer-service's).
Command = Callable[[Any, argparse.Namespace], int]


# --master after the command too (offerctl agents --master H:P). SUPPRESS: a
# sub-command's default must not overwrite a --master given before it.
_MASTER_FLAG = argparse.ArgumentParser(add_help=False)
_MASTER_FLAG.add_argument("--master", default=argparse.SUPPRESS, help="master address HOST:PORT")


def _sub(
    group: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    text: str,
    examples: list[str],
    run: Command,
    parents: list[argparse.ArgumentParser] | None = None,
) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = group.add_parser(
        name,
        parents=[_MASTER_FLAG] if parents is None else parents,
        help=text,
        description=text[0].upper() + text[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.set_defaults(run=run)
    return sub


def _output(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "-o",
        "--output",
        choices=["table", "json"],
        default="table",
        help="output format (default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    group = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _output(
        _sub(
            group,
            "agents",
            "list agents, their resources and usage",
            ["offerctl agents", "offerctl agents -o json"],
            commands.list_agents,
        )
    )
    _output(
        _sub(
            group,
            "frameworks",
            "list frameworks and their shares",
            ["offerctl frameworks"],
            commands.list_frameworks,
        )
    )
    tasks = _sub(
        group,
        "tasks",
        "list tasks, newest first",
        ["offerctl tasks --state failed", "offerctl tasks --framework fw-1234 -o json"],
        commands.list_tasks,
    )
    _output(tasks)
    tasks.add_argument("--framework", help="only this framework's tasks")
    tasks.add_argument("--state", help="only tasks in this state, e.g. running or failed")

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
    _add_app_commands(group)
    _add_job_commands(group)
    return parser


def _add_app_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    app = group.add_parser(
        "app",
        help="long-running apps of offer-service (deploy, list, show, scale, ...)",
        description="Long-running apps, kept running by offer-service. These commands talk to "
        "its control API, found through the master (or given by --service / OFFER_SERVICE).",
    )
    service = argparse.ArgumentParser(add_help=False)
    service.add_argument(
        "--service",
        default=os.environ.get("OFFER_SERVICE", ""),
        help="offer-service's control address (default: $OFFER_SERVICE, else the address "
        "offer-service registered with the master)",
    )
    service.set_defaults(target="service")
    actions = app.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, text: str, example: str, run: Command) -> argparse.ArgumentParser:
        return _sub(actions, name, text, [example], run, [service, _MASTER_FLAG])

    deploy = action(
        "deploy",
        "create or update apps from a YAML file ('-': stdin)",
        "offerctl app deploy web.yaml",
        apps.deploy,
    )
    deploy.add_argument("file", metavar="FILE")
    _output(
        action(
            "list",
            "list apps with running and wanted instances",
            "offerctl app list",
            apps.list_apps,
        )
    )
    show = action(
        "show",
        "an app's instances, and why any is not running yet",
        "offerctl app show web -o json",
        apps.show,
    )
    show.add_argument("app_id", metavar="APP")
    _output(show)
    scale = action(
        "scale",
        "change the number of instances (newest go first)",
        "offerctl app scale web 5",
        apps.scale,
    )
    scale.add_argument("app_id", metavar="APP")
    scale.add_argument("instances", metavar="INSTANCES", type=int)
    for name, text, run in (
        ("restart", "replace every instance", apps.restart),
        ("remove", "kill every instance and forget the app", apps.remove),
    ):
        action(name, text, f"offerctl app {name} web", run).add_argument("app_id", metavar="APP")


def _add_job_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    job = group.add_parser(
        "job",
        help="batch jobs of offer-batch (submit, list, run, runs, logs, ...)",
        description="Batch jobs, run to completion by offer-batch. These commands talk to "
        "its control API, found through the master (or given by --batch / OFFER_BATCH).",
    )
    batch = argparse.ArgumentParser(add_help=False)
    batch.add_argument(
        "--batch",
        default=os.environ.get("OFFER_BATCH", ""),
        help="offer-batch's control address (default: $OFFER_BATCH, else the address "
        "offer-batch registered with the master)",
    )
    batch.set_defaults(target="batch")
    actions = job.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, text: str, example: str, run: Command) -> argparse.ArgumentParser:
        return _sub(actions, name, text, [example], run, [batch, _MASTER_FLAG])

    action(
        "submit",
        "create or update jobs from a YAML file ('-': stdin)",
        "offerctl job submit jobs.yaml",
        jobs.submit,
    ).add_argument("file", metavar="FILE")
    _output(
        action(
            "list", "list jobs, their schedules and last runs", "offerctl job list", jobs.list_jobs
        )
    )
    show = action(
        "show", "a job's spec, next run and latest runs", "offerctl job show etl", jobs.show
    )
    show.add_argument("name", metavar="JOB")
    _output(show)
    action("run", "start a run of a job now", "offerctl job run etl", jobs.run_now).add_argument(
        "name", metavar="JOB"
    )
    runs = action("runs", "a job's kept runs, newest first", "offerctl job runs etl", jobs.runs)
    runs.add_argument("name", metavar="JOB")
    _output(runs)
    run = action(
        "run-show",
        "one run with every attempt of every task",
        "offerctl job run-show etl-3 -o json",
        jobs.show_run,
    )
    run.add_argument("run_id", metavar="RUN")
    _output(run)
    action(
        "cancel",
        "kill a run's tasks and end it CANCELLED",
        "offerctl job cancel etl-3",
        jobs.cancel,
    ).add_argument("run_id", metavar="RUN")
    action(
        "remove",
        "cancel a job's runs and forget it with its history",
        "offerctl job remove etl",
        jobs.remove,
    ).add_argument("name", metavar="JOB")
    logs = action(
        "logs",
        "a run's output: the last attempt of each task, or of task --task N",
        "offerctl job logs etl-3 --task 0",
        jobs.logs,
    )
    logs.add_argument("run_id", metavar="RUN")
    logs.add_argument("--task", type=int, metavar="N", help="only the task with index N")
    logs.add_argument("--tail", type=int, default=0, metavar="N", help="only the last N lines")


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    target = getattr(args, "target", "")
    address, what = args.master, "the master"
    try:
        if target:
            address, what = _framework_address(args, target), f"offer-{target}"
        with grpc.insecure_channel(address) as channel:
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
    with grpc.insecure_channel(args.master) as channel:
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
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"offerctl: {what} at {address} did not answer in time"
    return f"offerctl: {detail} ({code.name.lower().replace('_', ' ')})"


if __name__ == "__main__":
    main()
