"""Runs and their task attempts, and the pure decision of what a run does
next: which indexes to launch, which tasks to kill, whether it has ended.
No I/O and no clock of its own: `now` is given."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from frameworks.batch.spec import JobSpec
from frameworks.sdk import Offer, TaskSpec, pack
from offer.tasks import TaskState


class RunState(enum.StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_ended(self) -> bool:
        return self is not RunState.RUNNING


@dataclass
class Run:
    run_id: str
    job: str
    seq: int
    # The job's spec when the run was created: a later submit changes later runs only.
    spec: JobSpec
    # "manual", "schedule", "missed" (a scheduled time passed while down) or "after JOB".
    trigger: str
    created_at: float
    scheduled_for: float | None = None
    state: RunState = RunState.RUNNING
    ended_at: float | None = None
    message: str = ""
    exit_code: int | None = None


@dataclass
class Attempt:
    """One task: attempt `attempt` (from 1) at index `index` of a run."""

    task_id: str
    run_id: str
    index: int
    attempt: int
    created_at: float
    state: TaskState = TaskState.STAGING
    agent_id: str = ""
    hostname: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    message: str = ""
    # False for an ending that is not the task's fault (a launch the master
    # never saw, a drained agent): it does not use up a retry.
    counts: bool = True
    timed_out: bool = False
    # Its agent's advertised address ("" if launched before addresses existed).
    address: str = ""

    @property
    def failed(self) -> bool:
        return self.state.is_terminal and self.state != TaskState.FINISHED


@dataclass
class Step:
    """What a run does now."""

    # (index, attempt number) to launch, at most what parallelism leaves room for.
    launch: list[tuple[int, int]] = field(default_factory=list)
    # task id -> why it is killed.
    kill: dict[str, str] = field(default_factory=dict)
    # Of those, the tasks killed for running past the job's timeout.
    timed_out: list[str] = field(default_factory=list)
    # Set when the run ends now.
    outcome: RunState | None = None
    message: str = ""
    exit_code: int | None = None
    # When the decision changes without any event (a backoff or a timeout ends).
    wake_at: float | None = None


def earliest(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def step(run: Run, attempts: Sequence[Attempt], now: float) -> Step:
    """The next step of a RUNNING run, given all its attempts."""
    spec = run.spec
    live = [a for a in attempts if not a.state.is_terminal]
    if spec.run_timeout_seconds and now >= run.created_at + spec.run_timeout_seconds:
        return Step(
            kill={a.task_id: "the run timed out" for a in live},
            outcome=RunState.FAILED,
            message=f"run timed out after {spec.run_timeout_seconds:g}s",
        )
    result = Step()
    if spec.run_timeout_seconds:
        result.wake_at = run.created_at + spec.run_timeout_seconds
    for a in live:
        if spec.timeout_seconds and not a.timed_out:
            deadline = a.created_at + spec.timeout_seconds
            if now >= deadline:
                result.kill[a.task_id] = f"timed out after {spec.timeout_seconds:g}s"
                result.timed_out.append(a.task_id)
            else:
                result.wake_at = earliest(result.wake_at, deadline)
    done = {a.index for a in attempts if a.state == TaskState.FINISHED}
    if len(done) == spec.completions:
        return Step(
            outcome=RunState.SUCCEEDED, message=f"{spec.completions} of {spec.completions} done"
        )
    busy = {a.index for a in live}
    ready: list[tuple[int, int]] = []
    for index in range(spec.completions):
        if index in done or index in busy:
            continue
        tries = [a for a in attempts if a.index == index]
        failures = [a for a in tries if a.failed and a.counts]
        if len(failures) >= spec.max_attempts:
            last = max(failures, key=lambda a: a.attempt)
            return Step(
                kill={a.task_id: "another task of the run failed" for a in live},
                outcome=RunState.FAILED,
                message=f"task {index} failed {len(failures)} time(s); last: "
                f"{last.message or last.state.name}",
                exit_code=last.exit_code,
            )
        ready_at = run.created_at
        if tries:
            ready_at = max(a.ended_at or now for a in tries)
            if failures:
                ready_at += spec.retry_delay(len(failures))
        if ready_at <= now:
            ready.append((index, max((a.attempt for a in tries), default=0) + 1))
        else:
            result.wake_at = earliest(result.wake_at, ready_at)
    result.launch = ready[: max(0, spec.parallelism - len(live))]
    return result


@dataclass(frozen=True, slots=True)
class Assignment:
    """Tasks fitted into offers (ready to accept) and the offers left unused."""

    launches: dict[str, tuple[Offer, list[TaskSpec]]]
    unused: list[str]
    left_out: list[TaskSpec]


def assign(offers: Iterable[Offer], tasks: Sequence[TaskSpec]) -> Assignment:
    """Packs the tasks, in order, into as few offers as they fit: many tasks to
    one offer, so one accept launches them all."""
    launches: dict[str, tuple[Offer, list[TaskSpec]]] = {}
    unused: list[str] = []
    remaining = list(tasks)
    for offer in offers:
        packing = pack(offer, remaining)
        if packing.launch:
            launches[offer.offer_id] = (offer, packing.launch)
        else:
            unused.append(offer.offer_id)
        remaining = packing.left_out
    return Assignment(launches, unused, remaining)
