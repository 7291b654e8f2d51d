"""offerctl's `app` and `job` command groups: they talk to the control APIs
of offer-service and offer-batch, found through the master or given by
--service / --batch."""

from __future__ import annotations

import argparse
import os
from typing import Protocol

from offer.ctl.parsing import MASTER_FLAG, add_output, command_group, lazy, positive, sub

__all__ = ["add_app_commands", "add_job_commands"]


class Action(Protocol):
    def __call__(
        self, name: str, text: str, examples: list[str], run: str, where: str = ""
    ) -> argparse.ArgumentParser:
        """Adds an action: its name, a summary, examples, the function that
        runs it, and the module that has it ("": the group's own)."""


def _framework_group(
    group: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    kind: str,
    module: str,
    summary: str,
    what: str,
    examples: list[str],
) -> Action:
    """A command group that talks to offer-<kind>'s control API, found through
    the master or given by --<kind> / OFFER_<KIND>; returns what adds its actions."""
    env = f"OFFER_{kind.upper()}"
    actions = command_group(
        group,
        name,
        summary,
        f"{what}. These commands talk to its control API, found through the master "
        f"(or given by --{kind} / {env}).",
        examples,
    )
    address = argparse.ArgumentParser(add_help=False)
    address.add_argument(
        f"--{kind}",
        default=os.environ.get(env, ""),
        help=f"offer-{kind}'s control address (default: ${env}, else the address "
        f"offer-{kind} registered with the master)",
    )
    address.set_defaults(target=kind)

    def action(
        name: str, text: str, examples: list[str], run: str, where: str = ""
    ) -> argparse.ArgumentParser:
        runs = lazy(where or module, run)
        return sub(actions, name, text, examples, runs, [address, MASTER_FLAG])

    return action


def _add_schema_commands(action: Action, group: str, document: str) -> None:
    """`explain [FIELD]` and `schema`, read from the running framework's
    schema, so that they describe what that framework will accept."""
    explain = action(
        "explain",
        "a field's type, default, limits and meaning (every field if none is named)",
        [f"offerctl {group} explain", f"offerctl {group} explain {_EXPLAINED[group]}"],
        f"{group}_explain",
        "explain",
    )
    explain.add_argument(
        "field", metavar="FIELD", nargs="?", default="", help="a field, dotted for nested ones"
    )
    action(
        "schema",
        f"the JSON Schema of {document}, for editors",
        [f"offerctl {group} schema > {group}.schema.json"],
        f"{group}_schema",
        "explain",
    )


_EXPLAINED = {"app": "health_check.interval_seconds", "job": "retries"}


def _add_spec_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a YAML file; '-' reads stdin")
    # Read and parsed before anything is called: a YAML error names its line.
    parser.set_defaults(prepare=lazy("specs", "load"))


def _add_wait(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--wait", action="store_true", help=what)
    parser.add_argument(
        "--timeout",
        type=positive(float),
        metavar="SECONDS",
        help="with --wait (implied): give up after SECONDS (exit 1); it goes on without offerctl",
    )


def add_app_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    action = _framework_group(
        group,
        "app",
        "service",
        "apps",
        "long-running apps of offer-service (deploy, list, show, scale, ...)",
        "Long-running apps, kept running by offer-service",
        [
            "offerctl app deploy web.yaml --wait     # follow the rollout until it is done",
            "offerctl app list",
            "offerctl app show web -o json",
            "offerctl app scale web 5 --wait --timeout 120",
            "offerctl app restart web --wait",
        ],
    )
    rollout = (
        "follow the rollout until every instance of the new version is ready and none of "
        "the old is left (exit 0), or it crash-loops (exit 1; see docs/offerctl.md)"
    )
    deploy = action(
        "deploy",
        "create or update apps from a YAML file ('-': stdin)",
        [
            "offerctl app deploy web.yaml",
            "offerctl app deploy web.yaml --wait --timeout 300",
            "offerctl app deploy compose.yaml --dry-run",
            "offerctl app deploy compose.yaml --registry 10.0.0.5:5000   # builds build: services",
        ],
        "deploy",
    )
    _add_spec_file(deploy)
    # Compose files are interpolated where they are read, with offerctl's environment.
    deploy.set_defaults(prepare=lazy("compose_file", "prepare"))
    deploy.add_argument(
        "--dry-run",
        action="store_true",
        help="parse, interpolate and validate FILE and print the apps it would deploy "
        "(YAML), building nothing and changing nothing; exit 1 with the reason if refused",
    )
    deploy.add_argument(
        "--registry",
        metavar="HOST:PORT",
        default=os.environ.get("OFFER_REGISTRY", ""),
        help="the registry that Compose services with build: are pushed to, which every "
        "agent pulls from (default: $OFFER_REGISTRY); they are built with the Docker "
        "engine where offerctl runs (docs/compose-build.md)",
    )
    _add_wait(deploy, rollout)
    add_output(
        action(
            "list",
            "list apps with running and wanted instances",
            ["offerctl app list"],
            "list_apps",
        )
    )
    show = action(
        "show",
        "an app's instances, and why any is not running yet",
        ["offerctl app show web", "offerctl app show web -o json"],
        "show",
    )
    show.add_argument("app_id", metavar="APP")
    add_output(show)
    scale = action(
        "scale",
        "change the number of instances (newest go first)",
        ["offerctl app scale web 5", "offerctl app scale web 0 --wait"],
        "scale",
    )
    scale.add_argument("app_id", metavar="APP")
    scale.add_argument("instances", metavar="INSTANCES", type=int)
    _add_wait(
        scale,
        "follow it until as many instances as wanted are ready and no more run (exit 0), "
        "or it crash-loops (exit 1)",
    )
    restart = action(
        "restart",
        "replace every instance",
        ["offerctl app restart web", "offerctl app restart web --wait"],
        "restart",
    )
    restart.add_argument("app_id", metavar="APP")
    _add_wait(restart, rollout)
    remove = action(
        "remove", "kill every instance and forget the app", ["offerctl app remove web"], "remove"
    )
    remove.add_argument("app_id", metavar="APP")
    history = action(
        "history",
        "the versions the app keeps: revision, when deployed, what changed",
        ["offerctl app history web", "offerctl app history web -o json"],
        "history",
        "app_versions",
    )
    history.add_argument("app_id", metavar="APP")
    add_output(history)
    rollback = action(
        "rollback",
        "deploy a kept version again (the one before the current by default), rolling",
        ["offerctl app rollback web", "offerctl app rollback web 3 --wait"],
        "rollback",
        "app_versions",
    )
    rollback.add_argument("app_id", metavar="APP")
    rollback.add_argument(
        "revision",
        metavar="REVISION",
        type=int,
        nargs="?",
        default=0,
        help="a revision `offerctl app history` lists (default: the one before the current)",
    )
    _add_wait(rollback, rollout)
    _add_schema_commands(action, "app", "a deploy document")


def add_job_commands(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    action = _framework_group(
        group,
        "job",
        "batch",
        "jobs",
        "batch jobs of offer-batch (submit, list, run, runs, logs, ...)",
        "Batch jobs, run to completion by offer-batch",
        [
            "offerctl job submit jobs.yaml && offerctl job run etl --wait",
            "offerctl job list",
            "offerctl job runs etl",
            "offerctl job run-show etl-1",
            "offerctl job logs etl-1 --task 0",
        ],
    )
    submit = action(
        "submit",
        "create or update jobs from a YAML file ('-': stdin)",
        ["offerctl job submit jobs.yaml"],
        "submit",
    )
    _add_spec_file(submit)
    add_output(
        action(
            "list", "list jobs, their schedules and last runs", ["offerctl job list"], "list_jobs"
        )
    )
    show = action(
        "show", "a job's spec, next run and latest runs", ["offerctl job show etl"], "show"
    )
    show.add_argument("name", metavar="JOB")
    add_output(show)
    run = action(
        "run",
        "start a run of a job now",
        ["offerctl job run etl", "offerctl job run etl --wait --timeout 600"],
        "run_now",
    )
    run.add_argument("name", metavar="JOB")
    _add_wait(
        run, "follow the run until it ends: exit 0 if it SUCCEEDED, 1 if it FAILED or was CANCELLED"
    )
    runs = action("runs", "a job's kept runs, newest first", ["offerctl job runs etl"], "runs")
    runs.add_argument("name", metavar="JOB")
    add_output(runs)
    run_show = action(
        "run-show",
        "one run with every attempt of every task",
        ["offerctl job run-show etl-3", "offerctl job run-show etl-3 -o json"],
        "show_run",
    )
    run_show.add_argument("run_id", metavar="RUN")
    add_output(run_show)
    cancel = action(
        "cancel", "kill a run's tasks and end it CANCELLED", ["offerctl job cancel etl-3"], "cancel"
    )
    cancel.add_argument("run_id", metavar="RUN")
    remove = action(
        "remove",
        "cancel a job's runs and forget it with its history",
        ["offerctl job remove etl"],
        "remove",
    )
    remove.add_argument("name", metavar="JOB")
    logs = action(
        "logs",
        "a run's output: the last attempt of each task, or of task --task N",
        ["offerctl job logs etl-3", "offerctl job logs etl-3 --task 0 --tail 20"],
        "logs",
    )
    logs.add_argument("run_id", metavar="RUN")
    logs.add_argument("--task", type=int, metavar="N", help="only the task with index N")
    logs.add_argument("--tail", type=int, default=0, metavar="N", help="only the last N lines")
    _add_schema_commands(action, "job", "a submit document")
