"""offerctl's commands: each takes the Operator stub and its parsed
arguments, does its one thing, and returns the exit code."""

from __future__ import annotations

import argparse
import sys

from offer.ctl.render import render
from offer.ctl.views import agent_view, framework_view, task_view
from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc

CALL_TIMEOUT = 5.0

Stub = operator_pb2_grpc.OperatorStub


def list_agents(stub: Stub, args: argparse.Namespace) -> int:
    resp = stub.ListAgents(pb.ListAgentsRequest(), timeout=CALL_TIMEOUT)
    render("agents", [agent_view(a) for a in resp.agents], args.output)
    return 0


def list_frameworks(stub: Stub, args: argparse.Namespace) -> int:
    resp = stub.ListFrameworks(pb.ListFrameworksRequest(), timeout=CALL_TIMEOUT)
    render("frameworks", [framework_view(f) for f in resp.frameworks], args.output)
    return 0


def list_tasks(stub: Stub, args: argparse.Namespace) -> int:
    resp = stub.ListTasks(
        pb.ListTasksRequest(framework_id=args.framework or ""), timeout=CALL_TIMEOUT
    )
    tasks = [task_view(t) for t in resp.tasks]
    if args.state:
        tasks = [t for t in tasks if t["state"] == args.state.upper()]
    render("tasks", tasks, args.output)
    return 0


def logs(stub: Stub, args: argparse.Namespace) -> int:
    request = pb.GetTaskLogsRequest(
        task_id=args.task_id,
        framework_id=args.framework or "",
        tail_lines=args.tail,
        follow=args.follow,
    )
    # No deadline when following: the stream lasts as long as the task.
    chunks = stub.GetTaskLogs(request, timeout=None if args.follow else 30)
    out = sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk.data)
        out.flush()
    return 0


def reactivate(stub: Stub, args: argparse.Namespace) -> int:
    stub.ReactivateAgent(pb.ReactivateAgentRequest(agent_id=args.agent_id), timeout=CALL_TIMEOUT)
    print(f"agent {args.agent_id} is active again: it gets offers")
    return 0


def drain(stub: Stub, args: argparse.Namespace) -> int:
    stub.DrainAgent(
        pb.DrainAgentRequest(agent_id=args.agent_id, deadline_seconds=args.deadline),
        timeout=CALL_TIMEOUT,
    )
    when = "now" if args.deadline == 0 else f"in {args.deadline:g}s"
    print(f"agent {args.agent_id} is draining: no new offers; its tasks are killed {when}")
    return 0
