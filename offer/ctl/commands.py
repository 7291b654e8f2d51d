"""offerctl's commands that act (logs, drain, reactivate, remove): each takes the
Operator stub and its parsed arguments, does its one thing, and returns the
exit code. The views are in lists, show, status and events."""

from __future__ import annotations

import argparse
import sys

from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc

CALL_TIMEOUT = 5.0

Stub = operator_pb2_grpc.OperatorStub


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


def teardown(stub: Stub, args: argparse.Namespace) -> int:
    stub.TeardownFramework(
        pb.TeardownFrameworkRequest(framework_id=args.framework_id), timeout=CALL_TIMEOUT
    )
    print(f"framework {args.framework_id} torn down: its tasks are being killed")
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


def remove_agent(stub: Stub, args: argparse.Namespace) -> int:
    stub.RemoveAgent(pb.RemoveAgentRequest(agent_id=args.agent_id), timeout=CALL_TIMEOUT)
    print(
        f"agent {args.agent_id} removed: its tasks are LOST, and its id registers anew "
        "from any host"
    )
    return 0
