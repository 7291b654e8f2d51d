"""The BatchControl gRPC service: offerctl's `job` commands. Translates only."""

from __future__ import annotations

from typing import NoReturn

import grpc

from frameworks.batch.runs import Attempt, Run, RunState
from frameworks.batch.scheduler import (
    BatchScheduler,
    JobInUseError,
    UnknownJobError,
    UnknownRunError,
)
from frameworks.batch.spec import check_dependencies, job_schemas, parse_jobs
from frameworks.checks import SpecError, check_fits
from offer.tasks import TaskState
from offer.v1 import batch_pb2 as pb
from offer.v1 import batch_pb2_grpc


class BatchControlServicer(batch_pb2_grpc.BatchControlServicer):
    def __init__(self, scheduler: BatchScheduler) -> None:
        self._scheduler = scheduler

    async def SubmitJobs(
        self, request: pb.SubmitJobsRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitJobsResponse:
        try:
            specs = parse_jobs(request.yaml)
            submitted = {name: job.spec for name, job in self._scheduler.jobs.items()}
            check_dependencies({**submitted, **{s.name: s for s in specs}})
            sizes = ((s.name, s.cpus, s.mem) for s in specs)
            check_fits("job", sizes, self._scheduler.largest_offer)
        except SpecError as err:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(err))
        return pb.SubmitJobsResponse(names=await self._scheduler.submit(specs))

    async def ListJobs(
        self, request: pb.ListJobsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListJobsResponse:
        return pb.ListJobsResponse(jobs=[self._job(name) for name in sorted(self._scheduler.jobs)])

    async def GetJob(
        self, request: pb.GetJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.JobStatus:
        await self._known_job(request.name, context)
        return self._job(request.name)

    async def RunJob(
        self, request: pb.RunJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.RunStatus:
        try:
            run = await self._scheduler.run_now(request.name)
        except UnknownJobError:
            await _no_job(request.name, context)
        return self._run(run, with_tasks=True)

    async def ListRuns(
        self, request: pb.ListRunsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRunsResponse:
        await self._known_job(request.name, context)
        runs = self._scheduler.runs_of(request.name)
        return pb.ListRunsResponse(runs=[self._run(r) for r in runs])

    async def GetRun(
        self, request: pb.GetRunRequest, context: grpc.aio.ServicerContext
    ) -> pb.RunStatus:
        run = self._scheduler.runs.get(request.run_id)
        if run is None:
            await _no_run(request.run_id, context)
        return self._run(run, with_tasks=True)

    async def CancelRun(
        self, request: pb.CancelRunRequest, context: grpc.aio.ServicerContext
    ) -> pb.RunStatus:
        try:
            run = await self._scheduler.cancel(request.run_id)
        except UnknownRunError:
            await _no_run(request.run_id, context)
        return self._run(run, with_tasks=True)

    async def RemoveJob(
        self, request: pb.RemoveJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.RemoveJobResponse:
        try:
            await self._scheduler.remove(request.name)
        except UnknownJobError:
            await _no_job(request.name, context)
        except JobInUseError as err:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(err))
        return pb.RemoveJobResponse()

    async def GetJobSchema(
        self, request: pb.GetJobSchemaRequest, context: grpc.aio.ServicerContext
    ) -> pb.JobSchema:
        spec, document = job_schemas()
        return pb.JobSchema(spec_json_schema=spec, document_json_schema=document)

    async def _known_job(self, name: str, context: grpc.aio.ServicerContext) -> None:
        if name not in self._scheduler.jobs:
            await _no_job(name, context)

    def _job(self, name: str) -> pb.JobStatus:
        job = self._scheduler.jobs[name]
        runs = self._scheduler.runs_of(name)
        status = pb.JobStatus(
            name=name,
            spec_yaml=job.spec.to_yaml(),
            schedule=job.spec.schedule,
            timezone=job.spec.timezone,
            next_run_at=job.next_at or 0.0,
            depends_on=job.spec.depends_on,
            active_runs=sum(1 for r in runs if r.state == RunState.RUNNING),
            submitted_at=job.submitted_at,
        )
        if runs:
            status.last_run.CopyFrom(self._run(runs[0]))
        return status

    def _run(self, run: Run, with_tasks: bool = False) -> pb.RunStatus:
        attempts = self._scheduler.attempts.get(run.run_id, [])
        status = pb.RunStatus(
            run_id=run.run_id,
            job=run.job,
            state=run.state.value,
            trigger=run.trigger,
            created_at=run.created_at,
            scheduled_for=run.scheduled_for or 0.0,
            ended_at=run.ended_at or 0.0,
            message=run.message,
            exit_code=run.exit_code,
            completions=run.spec.completions,
            parallelism=run.spec.parallelism,
            succeeded=len({a.index for a in attempts if a.state == TaskState.FINISHED}),
            running=sum(1 for a in attempts if not a.state.is_terminal),
            failed_attempts=sum(1 for a in attempts if a.failed),
            framework_id=self._scheduler.framework_id,
        )
        if with_tasks:
            status.tasks.extend(_task(a) for a in attempts)
        return status


def _task(a: Attempt) -> pb.RunTask:
    return pb.RunTask(
        task_id=a.task_id,
        index=a.index,
        attempt=a.attempt,
        state=a.state.name,
        exit_code=a.exit_code,
        agent_id=a.agent_id,
        hostname=a.hostname,
        address=a.address,
        created_at=a.created_at,
        started_at=a.started_at or 0.0,
        ended_at=a.ended_at or 0.0,
        message=a.message,
        timed_out=a.timed_out,
    )


async def _no_job(name: str, context: grpc.aio.ServicerContext) -> NoReturn:
    await context.abort(
        grpc.StatusCode.NOT_FOUND, f"no job {name!r}; `offerctl job list` shows the jobs"
    )
    raise AssertionError("abort returns only by raising")


async def _no_run(run_id: str, context: grpc.aio.ServicerContext) -> NoReturn:
    await context.abort(
        grpc.StatusCode.NOT_FOUND,
        f"no run {run_id!r}; `offerctl job runs JOB` lists a job's runs (old ones are "
        "forgotten beyond the job's 'history')",
    )
    raise AssertionError("abort returns only by raising")
