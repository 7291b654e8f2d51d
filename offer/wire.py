"""Translations between domain objects and offer.v1 protobuf messages.

The only module (besides servicers and clients) that knows both worlds.
"""

from __future__ import annotations

from typing import TypeVar

from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus
from offer.v1 import common_pb2 as pb

_E = TypeVar("_E", TaskState, StatusReason)


def resources_to_pb(res: Resources) -> pb.Resources:
    return pb.Resources(cpus=res.cpus, mem=res.mem, disk=res.disk)


def resources_from_pb(msg: pb.Resources) -> Resources:
    return Resources(round(msg.cpus, 3), round(msg.mem, 3), round(msg.disk, 3))


def status_to_pb(status: TaskStatus) -> pb.TaskStatus:
    msg = pb.TaskStatus(
        task_id=status.task_id,
        framework_id=status.framework_id,
        agent_id=status.agent_id,
        # The stubs name only their own enum types; the wire value is the int.
        state=int(status.state),  # type: ignore[arg-type]
        reason=int(status.reason),  # type: ignore[arg-type]
        message=status.message,
        timestamp=status.timestamp,
        uuid=status.uuid,
    )
    if status.exit_code is not None:
        msg.exit_code = status.exit_code
    return msg


def status_from_pb(msg: pb.TaskStatus) -> TaskStatus:
    return TaskStatus(
        task_id=msg.task_id,
        framework_id=msg.framework_id,
        agent_id=msg.agent_id,
        state=_enum(TaskState, msg.state),
        reason=_enum(StatusReason, msg.reason),
        message=msg.message,
        timestamp=msg.timestamp,
        uuid=msg.uuid,
        exit_code=msg.exit_code if msg.HasField("exit_code") else None,
    )


def task_to_pb(spec: TaskSpec) -> pb.TaskInfo:
    return pb.TaskInfo(
        task_id=spec.task_id,
        name=spec.name,
        resources=resources_to_pb(spec.resources),
        container=pb.ContainerSpec(image=spec.image, command=spec.command, env=dict(spec.env)),
        kill_grace_seconds=spec.kill_grace_seconds,
    )


def task_from_pb(msg: pb.TaskInfo) -> TaskSpec:
    return TaskSpec(
        task_id=msg.task_id,
        name=msg.name or msg.task_id,
        resources=resources_from_pb(msg.resources),
        image=msg.container.image,
        command=tuple(msg.container.command),
        env=tuple(sorted(msg.container.env.items())),
        kill_grace_seconds=msg.kill_grace_seconds,
    )


def _enum(kind: type[_E], value: int) -> _E:
    try:
        return kind(value)
    except ValueError:
        return kind(0)
