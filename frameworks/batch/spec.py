"""Job specs: what `offerctl job submit` sends, read from YAML and checked
field by field. Pure: no I/O."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Annotated, Literal

from croniter import croniter
from pydantic import AfterValidator, Field, model_validator

from frameworks.checks import (
    SpecError,
    check_unique,
    dependency_problem,
    growing_delay,
    listed,
    load_document,
)
from frameworks.schema import (
    Command,
    Cpus,
    Env,
    Image,
    KillGrace,
    Labels,
    Mem,
    Name,
    Spec,
    SpecModel,
    command_field,
    json_schemas,
    validate_item,
)
from frameworks.sdk import TaskSpec, Volume, make_task

# No retry waits longer, however many attempts failed (nor overflows a float).
MAX_RETRY_DELAY = 86400.0


def _volume_text(text: str) -> str:
    parts = text.split(":")
    if not (
        len(parts) in (2, 3)
        and all(p.startswith("/") for p in parts[:2])
        and (len(parts) == 2 or parts[2] in ("ro", "rw"))
    ):
        raise ValueError(f"{text!r} is not '/host/path:/container/path[:ro]'")
    return text


def _time_zone(text: str) -> str:
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not a known time zone (e.g. UTC, Europe/Paris)") from None
    return text


def _cron(text: str) -> str:
    if text and not croniter.is_valid(text):
        raise ValueError(
            f"{text!r} is not cron syntax (minute hour day month weekday [second], "
            "e.g. '0 3 * * *')"
        )
    return text


class JobSpec(Spec):
    """A batch job: a container run to completion, `completions` times per
    run, with retries, timeouts, an optional cron schedule and dependencies."""

    name: Name = Field(description="The job's name: lowercase letters, digits and '-'.")
    image: Image
    cmd: Command = command_field()
    cpus: Cpus = 0.1
    mem: Mem = 64.0
    env: Env = Field(default={})
    completions: int = Field(
        default=1, ge=1, description="Tasks in a run (indexes 0..N-1); all must succeed."
    )
    parallelism: int = Field(default=1, ge=1, description="Tasks of a run running at once.")
    retries: int = Field(default=0, ge=0, description="Attempts after the first, per task.")
    backoff_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Delay before the second attempt; each further one multiplies it by "
        "`backoff_factor`.",
    )
    backoff_factor: float = Field(
        default=2.0, ge=1, description="What each failed attempt multiplies the delay by."
    )
    timeout_seconds: float = Field(
        default=0.0, ge=0, description="A task attempt running longer is killed; 0: no limit."
    )
    run_timeout_seconds: float = Field(
        default=0.0, ge=0, description="A run lasting longer is killed; 0: no limit."
    )
    schedule: Annotated[str, AfterValidator(_cron)] = Field(
        default="",
        description="Cron syntax (5 fields, or 6 with seconds last), read in `timezone`; "
        "empty: runs only when asked (or after its dependencies).",
        examples=["0 3 * * *"],
    )
    timezone: Annotated[str, AfterValidator(_time_zone)] = Field(
        default="UTC", description="The time zone `schedule` is read in.", examples=["UTC"]
    )
    concurrency_policy: Literal["allow", "forbid", "replace"] = Field(
        default="allow",
        description="When a scheduled run is due while the previous one still runs: allow "
        "both, forbid (skip the new one), or replace (cancel the old one).",
    )
    missed_runs: Literal["run_once", "skip"] = Field(
        default="run_once",
        description="What a restart does with scheduled times that passed while offer-batch "
        "was down: run once, or skip them.",
    )
    depends_on: list[Name] = Field(
        default=[],
        description="Jobs whose latest run must have succeeded; each success starts this job.",
        examples=[["extract"]],
    )
    history: int = Field(default=10, ge=1, description="Ended runs kept (with their tasks).")
    volumes: list[Annotated[str, AfterValidator(_volume_text)]] = Field(
        default=[],
        description="Bind mounts: '/host/path:/container/path', ':ro' for read-only.",
        examples=[["/data:/data:ro"]],
    )
    kill_grace_seconds: KillGrace = 3.0
    labels: Labels = Field(default={})
    placement: Literal["binpack", "spread"] = Field(
        default="binpack",
        description="Where a run's tasks go among the agents whose offers fit: binpack (as "
        "many to one offer as fit, for throughput) or spread (the agent running the fewest "
        "of the run's tasks first, then the least loaded).",
    )

    revocable: bool = Field(
        default=False,
        description="Its tasks may run on revocable resources: what services are allocated "
        "but leave idle, lent until they need it back. A task preempted for that is retried "
        "without using up a retry (see docs/revocable.md).",
    )

    @model_validator(mode="after")
    def _schedule_or_dependencies(self) -> JobSpec:
        if self.schedule and self.depends_on:
            raise ValueError(
                "fields 'schedule' and 'depends_on' exclude each other: a dependent job runs "
                "when its dependencies succeed"
            )
        return self

    @property
    def max_attempts(self) -> int:
        return self.retries + 1

    def retry_delay(self, failed_attempts: int) -> float:
        steps = max(0, failed_attempts - 1)
        return growing_delay(self.backoff_seconds, self.backoff_factor, steps, MAX_RETRY_DELAY)

    def task(self, task_id: str, run_id: str, index: int, attempt: int) -> TaskSpec:
        """The task of one attempt at one index; it is told both in its env."""
        env = {
            **self.env,
            "OFFER_JOB": self.name,
            "OFFER_RUN_ID": run_id,
            "OFFER_TASK_INDEX": str(index),
            "OFFER_TASK_ATTEMPT": str(attempt),
            # Kubernetes' name for the same thing, so indexed jobs port unchanged.
            "JOB_COMPLETION_INDEX": str(index),
        }
        return make_task(
            task_id,
            self.image,
            self.cmd,
            cpus=self.cpus,
            mem=self.mem,
            env=env,
            volumes=[_volume(v) for v in self.volumes],
            labels={**self.labels, "job": self.name, "run": run_id},
            name=f"{self.name}-{index}",
            kill_grace_seconds=self.kill_grace_seconds,
            # Placed on revocable resources when offered, else on ordinary
            # ones unmarked (BatchScheduler._assign).
            revocable=self.revocable,
        )


def _volume(text: str) -> Volume:
    parts = text.split(":")
    return Volume(parts[0], parts[1], read_only=len(parts) == 3 and parts[2] == "ro")


class JobList(SpecModel):
    """Several jobs in one document."""

    jobs: list[JobSpec] = Field(description="The jobs, each as one job spec.")


@functools.cache
def job_schemas() -> tuple[str, str]:
    """JSON Schemas of one job spec and of a submit document (one job, or `jobs:`)."""
    return json_schemas(JobSpec, JobSpec | JobList)


def parse_jobs(text: str) -> list[JobSpec]:
    """One job, or several under `jobs:`. Raises SpecError."""
    items = listed(load_document(text), "jobs")
    jobs = [parse_job(item, i) for i, item in enumerate(items)]
    check_unique([j.name for j in jobs], "a job name")
    return jobs


def parse_job(raw: object, index: int = 0) -> JobSpec:
    """One job of a document, checked whole by the schema. Raises SpecError."""
    return validate_item(JobSpec, raw, "job", "name", index)


def check_dependencies(jobs: dict[str, JobSpec]) -> None:
    """Every dependency exists, and none is circular. Raises SpecError."""
    graph = {name: job.depends_on for name, job in jobs.items()}
    problem = dependency_problem(graph, "job", "'depends_on'", "submitted")
    if problem:
        raise SpecError(problem)
