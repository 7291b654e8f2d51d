"""Job specs: what `offerctl job submit` sends, read from YAML and checked
field by field. Pure: no I/O."""

from __future__ import annotations

import zoneinfo
from dataclasses import asdict, dataclass, field

import yaml
from croniter import croniter

from frameworks.checks import (
    SpecError,
    check_unique,
    container_problem,
    dependency_problem,
    is_number,
    listed,
    load_document,
)
from frameworks.sdk import TaskSpec, Volume, make_task

CONCURRENCY_POLICIES = ("allow", "forbid", "replace")
MISSED_RUN_POLICIES = ("run_once", "skip")


@dataclass(frozen=True)
class JobSpec:
    name: str
    image: str
    cmd: str | list[str] = ""
    cpus: float = 0.1
    mem: float = 64.0
    env: dict[str, str] = field(default_factory=dict)
    # A run is `completions` tasks (indexes 0..N-1), at most `parallelism` at once.
    completions: int = 1
    parallelism: int = 1
    # Attempts after the first, per task; the delay before attempt k+1 is
    # backoff_seconds * backoff_factor ** (k - 1).
    retries: int = 0
    backoff_seconds: float = 1.0
    backoff_factor: float = 2.0
    # A task (per attempt) or a whole run past its timeout is killed; 0: none.
    timeout_seconds: float = 0.0
    run_timeout_seconds: float = 0.0
    # Cron syntax (5 fields, or 6 with seconds last), read in `timezone`.
    schedule: str = ""
    timezone: str = "UTC"
    # When a scheduled run is due while the previous one still runs.
    concurrency_policy: str = "allow"
    # What a restart does with scheduled times that passed while offer-batch was down.
    missed_runs: str = "run_once"
    # Jobs whose latest run must have succeeded; each success starts this job.
    depends_on: list[str] = field(default_factory=list)
    # Ended runs kept (with their tasks) per job.
    history: int = 10
    # "/host/path:/container/path[:ro]" bind mounts.
    volumes: list[str] = field(default_factory=list)
    kill_grace_seconds: float = 3.0
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def max_attempts(self) -> int:
        return self.retries + 1

    def retry_delay(self, failed_attempts: int) -> float:
        return float(self.backoff_seconds * self.backoff_factor ** max(0, failed_attempts - 1))

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
        )

    def to_yaml(self) -> str:
        return str(yaml.safe_dump(asdict(self), sort_keys=False))


_FIELDS = set(JobSpec.__dataclass_fields__)


def _volume(text: str) -> Volume:
    parts = text.split(":")
    return Volume(parts[0], parts[1], read_only=len(parts) == 3 and parts[2] == "ro")


def parse_jobs(text: str) -> list[JobSpec]:
    """One job, or several under `jobs:`. Raises SpecError."""
    items = listed(load_document(text), "jobs")
    jobs = [parse_job(item, i) for i, item in enumerate(items)]
    check_unique([j.name for j in jobs], "a job name")
    return jobs


def parse_job(raw: object, index: int = 0) -> JobSpec:
    if not isinstance(raw, dict):
        raise SpecError(f"job #{index + 1} must be a mapping of fields, got {type(raw).__name__}")
    where = f"job {raw.get('name', f'#{index + 1}')!r}"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise SpecError(
            f"{where}: unknown field {unknown[0]!r} (known: {', '.join(sorted(_FIELDS))})"
        )
    for required in ("name", "image"):
        if not raw.get(required):
            raise SpecError(f"{where}: field {required!r} is required")
    spec = JobSpec(**raw)
    problem = _problem(spec)
    if problem:
        raise SpecError(f"{where}: {problem}")
    return spec


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _problem(s: JobSpec) -> str | None:
    problem = container_problem("name", s.name, s.image, s.cmd, s.cpus, s.mem, s.env)
    if problem:
        return problem
    for name, least in (("completions", 1), ("parallelism", 1), ("retries", 0), ("history", 1)):
        if not _whole(getattr(s, name), least):
            return f"field {name!r} must be a whole number >= {least}, got {getattr(s, name)!r}"
    for name in ("backoff_seconds", "timeout_seconds", "run_timeout_seconds", "kill_grace_seconds"):
        if not is_number(getattr(s, name)) or getattr(s, name) < 0:
            return f"field {name!r} must be a number of seconds >= 0, got {getattr(s, name)!r}"
    if not is_number(s.backoff_factor) or s.backoff_factor < 1:
        return f"field 'backoff_factor' must be a number >= 1, got {s.backoff_factor!r}"
    if s.concurrency_policy not in CONCURRENCY_POLICIES:
        return f"field 'concurrency_policy' must be one of {', '.join(CONCURRENCY_POLICIES)}"
    if s.missed_runs not in MISSED_RUN_POLICIES:
        return f"field 'missed_runs' must be one of {', '.join(MISSED_RUN_POLICIES)}"
    if not isinstance(s.depends_on, list) or not all(isinstance(d, str) for d in s.depends_on):
        return "field 'depends_on' must be a list of job names"
    if not isinstance(s.volumes, list) or not all(_volume_ok(v) for v in s.volumes):
        return "field 'volumes' must be a list of '/host/path:/container/path[:ro]'"
    return _schedule_problem(s)


def _volume_ok(text: object) -> bool:
    if not isinstance(text, str):
        return False
    parts = text.split(":")
    return (
        len(parts) in (2, 3)
        and all(p.startswith("/") for p in parts[:2])
        and (len(parts) == 2 or parts[2] in ("ro", "rw"))
    )


def _schedule_problem(s: JobSpec) -> str | None:
    if not isinstance(s.timezone, str):
        return "field 'timezone' must be a time zone name such as UTC or Europe/Paris"
    try:
        zoneinfo.ZoneInfo(s.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"field 'timezone' {s.timezone!r} is not a known time zone (e.g. UTC, Europe/Paris)"
    if not isinstance(s.schedule, str):
        return "field 'schedule' must be a cron expression such as '*/5 * * * *'"
    if s.schedule and not croniter.is_valid(s.schedule):
        return (
            f"field 'schedule' {s.schedule!r} is not cron syntax "
            "(minute hour day month weekday [second], e.g. '0 3 * * *')"
        )
    if s.schedule and s.depends_on:
        return (
            "fields 'schedule' and 'depends_on' exclude each other: a dependent job runs "
            "when its dependencies succeed"
        )
    return None


def check_dependencies(jobs: dict[str, JobSpec]) -> None:
    """Every dependency exists, and none is circular. Raises SpecError."""
    graph = {name: job.depends_on for name, job in jobs.items()}
    problem = dependency_problem(graph, "job", "'depends_on'", "submitted")
    if problem:
        raise SpecError(problem)
