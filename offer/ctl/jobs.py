"""offerctl's `job` commands: they talk to the batch framework's control API
(offer-batch), and to the master for a run's task logs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import grpc
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from offer.ctl import cells, render
from offer.ctl.apps import waits
from offer.ctl.follow import follow
from offer.ctl.leader import on_leader
from offer.ctl.progress import run_progress
from offer.ctl.quota import framework_role_quota, limit_line
from offer.v1 import batch_pb2 as pb
from offer.v1 import batch_pb2_grpc, operator_pb2, operator_pb2_grpc

CALL_TIMEOUT = 10.0

Stub = batch_pb2_grpc.BatchControlStub


def _time(ts: float | None, zone: str = "") -> str:
    return cells.clock(ts, zone) if ts else ""


def run_view(r: pb.RunStatus) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "job": r.job,
        "state": r.state,
        "trigger": r.trigger,
        "created_at": r.created_at,
        "scheduled_for": r.scheduled_for or None,
        "ended_at": r.ended_at or None,
        "message": r.message,
        "exit_code": r.exit_code if r.HasField("exit_code") else None,
        "completions": r.completions,
        "parallelism": r.parallelism,
        "succeeded": r.succeeded,
        "running": r.running,
        "failed_attempts": r.failed_attempts,
        "framework_id": r.framework_id,
        "tasks": [
            {
                "task_id": t.task_id,
                "index": t.index,
                "attempt": t.attempt,
                "state": t.state,
                "exit_code": t.exit_code if t.HasField("exit_code") else None,
                "agent_id": t.agent_id,
                "hostname": t.hostname,
                "address": t.address or None,
                "created_at": t.created_at,
                "started_at": t.started_at or None,
                "ended_at": t.ended_at or None,
                "message": t.message,
                "timed_out": t.timed_out,
            }
            for t in r.tasks
        ],
    }


def job_view(j: pb.JobStatus) -> dict[str, Any]:
    return {
        "name": j.name,
        "schedule": j.schedule,
        "timezone": j.timezone,
        "next_run_at": j.next_run_at or None,
        "depends_on": list(j.depends_on),
        "active_runs": j.active_runs,
        "submitted_at": j.submitted_at,
        "last_run": run_view(j.last_run) if j.last_run.run_id else None,
    }


def _table(titles: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> RenderableType:
    if not rows:
        return empty
    table = Table(box=None, header_style="bold", pad_edge=False)
    for title in titles:
        table.add_column(title, no_wrap=title != "MESSAGE")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def submit(stub: Stub, args: argparse.Namespace) -> int:
    request = pb.SubmitJobsRequest(yaml=args.spec_text)
    for name in stub.SubmitJobs(request, timeout=CALL_TIMEOUT).names:
        print(f"job {name} submitted")
    return 0


def list_jobs(stub: Stub, args: argparse.Namespace) -> int:
    jobs = [job_view(j) for j in stub.ListJobs(pb.ListJobsRequest(), timeout=CALL_TIMEOUT).jobs]

    def draw() -> RenderableType:
        rows = []
        for j in jobs:
            last = j["last_run"]
            deps = ", ".join(j["depends_on"])
            rows.append(
                (
                    j["name"],
                    j["schedule"] or (f"after {deps}" if deps else ""),
                    _time(j["next_run_at"], j["timezone"]),
                    str(j["active_runs"]),
                    f"{last['run_id']} {last['state']}" if last else "",
                )
            )
        return _table(("JOB", "SCHEDULE", "NEXT RUN", "ACTIVE", "LAST RUN"), rows, "No jobs.")

    render.emit(jobs, draw, args.output)
    return 0


def show(stub: Stub, args: argparse.Namespace) -> int:
    job = stub.GetJob(pb.GetJobRequest(name=args.name), timeout=CALL_TIMEOUT)
    view = {**job_view(job), "spec_yaml": job.spec_yaml}
    # Said only while a run is active: an idle job waits on nothing.
    active = view["active_runs"] > 0
    view["role_quota"] = framework_role_quota(args, "offer-batch") if active else None

    def draw() -> RenderableType:
        lines: list[RenderableType] = [Text(job.spec_yaml.rstrip())]
        if limit_line(view["role_quota"]):
            lines.append(Text(limit_line(view["role_quota"]), style="yellow"))
        if view["next_run_at"]:
            lines.append(Text(f"next run: {_time(view['next_run_at'], view['timezone'])}"))
        runs = stub.ListRuns(pb.ListRunsRequest(name=args.name), timeout=CALL_TIMEOUT).runs
        lines.append(_runs_table([run_view(r) for r in runs[:5]]))
        return Group(*lines)

    render.emit(view, draw, args.output)
    return 0


def run_now(stub: Stub, args: argparse.Namespace) -> int:
    run = stub.RunJob(pb.RunJobRequest(name=args.name), timeout=CALL_TIMEOUT)
    print(f"run {run.run_id} started", flush=True)
    if not waits(args):
        return 0
    request = pb.GetRunRequest(run_id=run.run_id)
    return follow(lambda: [run_progress(stub.GetRun(request, timeout=CALL_TIMEOUT))], args.timeout)


def runs(stub: Stub, args: argparse.Namespace) -> int:
    found = [
        run_view(r)
        for r in stub.ListRuns(pb.ListRunsRequest(name=args.name), timeout=CALL_TIMEOUT).runs
    ]
    render.emit(found, lambda: _runs_table(found), args.output)
    return 0


def _runs_table(found: list[dict[str, Any]]) -> RenderableType:
    rows = [
        (
            r["run_id"],
            r["state"],
            f"{r['succeeded']}/{r['completions']}",
            str(r["running"]),
            str(r["failed_attempts"]),
            r["trigger"],
            _time(r["created_at"]),
            _time(r["ended_at"]),
            r["message"],
        )
        for r in found
    ]
    titles = ("RUN", "STATE", "DONE", "RUNNING", "FAILED", "TRIGGER", "STARTED", "ENDED", "MESSAGE")
    return _table(titles, rows, "No runs.")


def show_run(stub: Stub, args: argparse.Namespace) -> int:
    view = run_view(stub.GetRun(pb.GetRunRequest(run_id=args.run_id), timeout=CALL_TIMEOUT))

    def draw() -> RenderableType:
        rows = [
            (
                str(t["index"]),
                str(t["attempt"]),
                t["task_id"],
                t["state"],
                "" if t["exit_code"] is None else str(t["exit_code"]),
                t["hostname"],
                t["address"] or "-",
                t["message"],
            )
            for t in view["tasks"]
        ]
        titles = ("INDEX", "ATTEMPT", "TASK", "STATE", "EXIT", "HOST", "ADDRESS", "MESSAGE")
        return Group(_runs_table([view]), _table(titles, rows, "No tasks yet."))

    render.emit(view, draw, args.output)
    return 0


def cancel(stub: Stub, args: argparse.Namespace) -> int:
    run = stub.CancelRun(pb.CancelRunRequest(run_id=args.run_id), timeout=CALL_TIMEOUT)
    if run.state == "CANCELLED":
        print(f"run {run.run_id} cancelled; its tasks are being killed")
    else:
        print(f"run {run.run_id} had already ended ({run.state})")
    return 0


def remove(stub: Stub, args: argparse.Namespace) -> int:
    stub.RemoveJob(pb.RemoveJobRequest(name=args.name), timeout=CALL_TIMEOUT)
    print(f"job {args.name} removed")
    return 0


def logs(stub: Stub, args: argparse.Namespace) -> int:
    """The output of a run's tasks (the last attempt at each index), from the master."""
    run = stub.GetRun(pb.GetRunRequest(run_id=args.run_id), timeout=CALL_TIMEOUT)
    last: dict[int, pb.RunTask] = {}
    for t in run.tasks:
        last[t.index] = t
    if args.task is not None:
        if args.task not in last:
            print(
                f"offerctl: run {run.run_id} has no task with index {args.task} yet "
                f"(indexes 0-{run.completions - 1}; launched: {sorted(last) or 'none'})",
                file=sys.stderr,
            )
            return 1
        last = {args.task: last[args.task]}
    out = sys.stdout.buffer

    def show(channel: grpc.Channel) -> None:
        master = operator_pb2_grpc.OperatorStub(channel)
        for index in sorted(last):
            task = last[index]
            if len(last) > 1:
                out.write(f"==> task {index} ({task.task_id}, {task.state}) <==\n".encode())
            request = operator_pb2.GetTaskLogsRequest(
                task_id=task.task_id, framework_id=run.framework_id, tail_lines=args.tail
            )
            for chunk in master.GetTaskLogs(request, timeout=30):
                out.write(chunk.data)
            out.flush()

    on_leader(args, show)
    return 0
