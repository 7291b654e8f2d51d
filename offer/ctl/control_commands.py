"""offerctl's `app` and `job` command groups: they talk to the control APIs
of offer-service and offer-batch, found through the master or given by
--service / --batch."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from offer.ctl import apps, jobs
from offer.ctl.parsing import MASTER_FLAG, Command, add_output, sub

__all__ = ["add_app_commands", "add_job_commands"]


def _framework_group(
    group: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    kind: str,
    summary: str,
    what: str,
    examples: list[str],
) -> Callable[[str, str, str, Command], argparse.ArgumentParser]:
    """A command group that talks to offer-<kind>'s control API, found through
    the master or given by --<kind> / OFFER_<KIND>; returns what adds its actions."""
    env = f"OFFER_{kind.upper()}"
    parser = group.add_parser(
        name,
        help=summary,
        description=f"{what}. These commands talk to its control API, found through the "
        f"master (or given by --{kind} / {env}).",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    address = argparse.ArgumentParser(add_help=False)
    address.add_argument(
        f"--{kind}",
        default=os.environ.get(env, ""),
        help=f"offer-{kind}'s control address (default: ${env}, else the address "
        f"offer-{kind} registered with the master)",
    )
    address.set_defaults(target=kind)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, text: str, example: str, run: Command) -> argparse.ArgumentParser:
        return sub(actions, name, text, [example], run, [address, MASTER_FLAG])

    return action


def add_app_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    action = _framework_group(
        group,
        "app",
        "service",
        "long-running apps of offer-service (deploy, list, show, scale, ...)",
        "Long-running apps, kept running by offer-service",
        ["offerctl app deploy web.yaml", "offerctl app show web", "offerctl app scale web 5"],
    )
    deploy = action(
        "deploy",
        "create or update apps from a YAML file ('-': stdin)",
        "offerctl app deploy web.yaml",
        apps.deploy,
    )
    deploy.add_argument("file", metavar="FILE")
    add_output(
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
    add_output(show)
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


def add_job_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    action = _framework_group(
        group,
        "job",
        "batch",
        "batch jobs of offer-batch (submit, list, run, runs, logs, ...)",
        "Batch jobs, run to completion by offer-batch",
        [
            "offerctl job submit jobs.yaml && offerctl job run etl",
            "offerctl job runs etl",
            "offerctl job logs etl-1 --task 0",
        ],
    )
    action(
        "submit",
        "create or update jobs from a YAML file ('-': stdin)",
        "offerctl job submit jobs.yaml",
        jobs.submit,
    ).add_argument("file", metavar="FILE")
    add_output(
        action(
            "list", "list jobs, their schedules and last runs", "offerctl job list", jobs.list_jobs
        )
    )
    show = action(
        "show", "a job's spec, next run and latest runs", "offerctl job show etl", jobs.show
    )
    show.add_argument("name", metavar="JOB")
    add_output(show)
    action("run", "start a run of a job now", "offerctl job run etl", jobs.run_now).add_argument(
        "name", metavar="JOB"
    )
    runs = action("runs", "a job's kept runs, newest first", "offerctl job runs etl", jobs.runs)
    runs.add_argument("name", metavar="JOB")
    add_output(runs)
    run = action(
        "run-show",
        "one run with every attempt of every task",
        "offerctl job run-show etl-3 -o json",
        jobs.show_run,
    )
    run.add_argument("run_id", metavar="RUN")
    add_output(run)
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
