"""offer-batch's own state in SQL (SQLite by default): its framework id,
jobs, runs and task attempts. Each method is one transaction, run in a
thread by the caller; a scheduled run and the job's next scheduled time are
written together, so a restart never runs a scheduled time twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from frameworks.batch.runs import Attempt, Run, RunState
from frameworks.batch.spec import JobSpec
from frameworks.sdk.state import FrameworkState, MetaRow
from offer.tasks import TaskState

# Its schema's alembic migrations (python -m frameworks.batch.migrate revision "...").
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class JobRecord:
    spec: JobSpec
    submitted_at: float
    # Runs created so far: the next run is number seq + 1.
    seq: int = 0
    # The next scheduled time not yet handled (None: no schedule).
    next_at: float | None = None


class BatchBase(DeclarativeBase):
    pass


class _Meta(MetaRow, BatchBase):
    pass


class _Job(BatchBase):
    __tablename__ = "jobs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[float] = mapped_column(Float)
    seq: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class _Run(BatchBase):
    __tablename__ = "runs"
    # The database refuses a second run of one scheduled time.
    __table_args__ = (UniqueConstraint("job", "scheduled_for"),)
    run_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    trigger: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[float] = mapped_column(Float)
    scheduled_for: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)


class _Attempt(BatchBase):
    __tablename__ = "attempts"
    task_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(96), index=True)
    index: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    state: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    counts: Mapped[bool] = mapped_column(Boolean)
    timed_out: Mapped[bool] = mapped_column(Boolean)
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")


@dataclass
class Loaded:
    framework_id: str
    jobs: list[JobRecord]
    runs: list[Run]
    attempts: list[Attempt]


def _run_row(run: Run) -> _Run:
    fields = dataclasses.asdict(run)
    fields["spec"] = run.spec.stored()
    fields["state"] = run.state.value
    return _Run(**fields)


def _attempt_row(a: Attempt) -> _Attempt:
    return _Attempt(**{**dataclasses.asdict(a), "state": int(a.state)})


def _job_row(job: JobRecord) -> _Job:
    return _Job(
        name=job.spec.name,
        spec=job.spec.stored(),
        submitted_at=job.submitted_at,
        seq=job.seq,
        next_at=job.next_at,
    )


class BatchStore(FrameworkState):
    def __init__(self, url: str) -> None:
        super().__init__(url, MIGRATIONS, _Meta)

    def load(self) -> Loaded:
        with Session(self._engine) as s:
            framework_id = self.read_framework_id(s)
            jobs = [
                JobRecord(
                    JobSpec.from_stored(r.spec, f"job {r.name!r}"),
                    r.submitted_at,
                    r.seq,
                    r.next_at,
                )
                for r in s.scalars(select(_Job))
            ]
            runs = [
                Run(
                    r.run_id,
                    r.job,
                    r.seq,
                    JobSpec.from_stored(r.spec, f"run {r.run_id!r}"),
                    r.trigger,
                    r.created_at,
                    r.scheduled_for,
                    RunState(r.state),
                    r.ended_at,
                    r.message,
                    r.exit_code,
                )
                for r in s.scalars(select(_Run).order_by(_Run.created_at))
            ]
            attempts = [
                Attempt(
                    r.task_id,
                    r.run_id,
                    r.index,
                    r.attempt,
                    r.created_at,
                    TaskState(r.state),
                    r.agent_id,
                    r.hostname,
                    r.started_at,
                    r.ended_at,
                    r.exit_code,
                    r.message,
                    r.counts,
                    r.timed_out,
                    r.address,
                )
                for r in s.scalars(select(_Attempt).order_by(_Attempt.created_at))
            ]
        return Loaded(framework_id, jobs, runs, attempts)

    def save(
        self,
        jobs: Sequence[JobRecord] = (),
        runs: Sequence[Run] = (),
        attempts: Sequence[Attempt] = (),
    ) -> None:
        """Writes jobs, runs and attempts in one transaction."""
        self.upsert([*map(_job_row, jobs), *map(_run_row, runs), *map(_attempt_row, attempts)])

    def forget_runs(self, run_ids: Sequence[str]) -> None:
        """Deletes runs (old history) with their attempts."""
        with Session(self._engine) as s, s.begin():
            s.execute(delete(_Attempt).where(_Attempt.run_id.in_(run_ids)))
            s.execute(delete(_Run).where(_Run.run_id.in_(run_ids)))

    def forget_attempts(self, task_ids: Sequence[str]) -> None:
        """Deletes attempts that were never launched."""
        with Session(self._engine) as s, s.begin():
            s.execute(delete(_Attempt).where(_Attempt.task_id.in_(task_ids)))

    def delete_job(self, name: str) -> None:
        with Session(self._engine) as s, s.begin():
            runs = select(_Run.run_id).where(_Run.job == name)
            s.execute(delete(_Attempt).where(_Attempt.run_id.in_(runs)))
            s.execute(delete(_Run).where(_Run.job == name))
            s.execute(delete(_Job).where(_Job.name == name))
