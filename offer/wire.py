"""Translations between domain objects and offer.v1 protobuf messages.

The only module (besides servicers and clients) that knows both worlds.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from typing import TypeVar

from google.protobuf import json_format

from offer.resources import Resources, Usage
from offer.tasks import (
    AnonymousVolume,
    HealthCheck,
    NamedVolume,
    PortMapping,
    StatusReason,
    TaskSpec,
    TaskState,
    TaskStatus,
    Volume,
)
from offer.v1 import common_pb2 as pb

_E = TypeVar("_E", TaskState, StatusReason)

# Defaults of HealthCheck fields whose proto zero value means "the default".
_CHECK_INTERVAL, _CHECK_TIMEOUT, _CHECK_FAILURES = 10.0, 5.0, 3


def resources_to_pb(res: Resources) -> pb.Resources:
    return pb.Resources(
        cpus=res.cpus,
        mem=res.mem,
        disk=res.disk,
        ports=[pb.Range(begin=b, end=e) for b, e in res.ports],
    )


def resources_from_pb(msg: pb.Resources) -> Resources:
    return Resources(
        round(msg.cpus, 3),
        round(msg.mem, 3),
        round(msg.disk, 3),
        tuple((r.begin, r.end) for r in msg.ports),
    )


def reservations_to_pb(
    reserved: Mapping[str, Resources], dynamic: bool = False
) -> list[pb.Reservation]:
    """Role -> amount as Reservation messages, by role, all of one type."""
    kind = pb.RESERVATION_DYNAMIC if dynamic else pb.RESERVATION_STATIC
    return [
        pb.Reservation(role=role, resources=resources_to_pb(amount), type=kind)
        for role, amount in sorted(reserved.items())
    ]


def reservations_from_pb(msgs: Iterable[pb.Reservation]) -> dict[str, Resources]:
    """Role -> amount (two entries of one role add up)."""
    found: dict[str, Resources] = {}
    for msg in msgs:
        found[msg.role] = found.get(msg.role, Resources()) + resources_from_pb(msg.resources)
    return found


def usage_to_pb(usage: Usage) -> pb.Usage:
    return pb.Usage(cpus_used=usage.cpus_used, mem_used=usage.mem_used, timestamp=usage.timestamp)


def usage_from_pb(msg: pb.Usage) -> Usage:
    return Usage(msg.cpus_used, msg.mem_used, msg.timestamp)


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
    if status.healthy is not None:
        msg.healthy = status.healthy
    return msg


def status_from_pb(msg: pb.TaskStatus) -> TaskStatus:
    # A master keeps a few statuses of every live task: the ids of a few
    # frameworks and agents, parsed anew for each, would be copies by the million.
    return TaskStatus(
        task_id=msg.task_id,
        framework_id=sys.intern(msg.framework_id),
        agent_id=sys.intern(msg.agent_id),
        state=_enum(TaskState, msg.state),
        reason=_enum(StatusReason, msg.reason),
        message=msg.message,
        timestamp=msg.timestamp,
        uuid=msg.uuid,
        exit_code=msg.exit_code if msg.HasField("exit_code") else None,
        healthy=msg.healthy if msg.HasField("healthy") else None,
    )


def task_to_pb(spec: TaskSpec) -> pb.TaskInfo:
    msg = pb.TaskInfo(
        task_id=spec.task_id,
        name=spec.name,
        resources=resources_to_pb(spec.resources),
        container=pb.ContainerSpec(
            image=spec.image,
            command=spec.command,
            env=dict(spec.env),
            working_dir=spec.working_dir,
            labels=dict(spec.labels),
            volumes=[
                *(
                    pb.Volume(
                        host_path=v.host_path,
                        container_path=v.container_path,
                        read_only=v.read_only,
                    )
                    for v in spec.volumes
                ),
                *(
                    pb.Volume(
                        volume_name=v.name, container_path=v.container_path, read_only=v.read_only
                    )
                    for v in spec.named_volumes
                ),
                *(
                    pb.Volume(container_path=v.container_path, read_only=v.read_only)
                    for v in spec.anonymous_volumes
                ),
            ],
            port_mappings=[
                pb.PortMapping(
                    container_port=p.container_port, host_port=p.host_port, protocol=p.protocol
                )
                for p in spec.port_mappings
            ],
            user=spec.user,
            privileged=spec.privileged,
            network=spec.network,
            pid=spec.pid,
            entrypoint=spec.entrypoint,
            stop_signal=spec.stop_signal,
            stdin_open=spec.stdin_open,
            tty=spec.tty,
        ),
        kill_grace_seconds=spec.kill_grace_seconds,
        revocable=spec.revocable,
    )
    if spec.health_check is not None:
        msg.health_check.CopyFrom(_check_to_pb(spec.health_check))
    return msg


def task_from_pb(msg: pb.TaskInfo) -> TaskSpec:
    c = msg.container
    return TaskSpec(
        task_id=msg.task_id,
        name=msg.name or msg.task_id,
        resources=resources_from_pb(msg.resources),
        image=c.image,
        command=tuple(c.command),
        env=tuple(sorted(c.env.items())),
        kill_grace_seconds=msg.kill_grace_seconds,
        working_dir=c.working_dir,
        labels=tuple(sorted(c.labels.items())),
        volumes=tuple(
            Volume(v.host_path, v.container_path, v.read_only)
            for v in c.volumes
            if v.host_path and not v.volume_name
        ),
        # A volume_name makes it an engine volume; a host_path beside it is not read.
        named_volumes=tuple(
            NamedVolume(v.volume_name, v.container_path, v.read_only)
            for v in c.volumes
            if v.volume_name
        ),
        # Neither: a fresh volume for the container, removed with it.
        anonymous_volumes=tuple(
            AnonymousVolume(v.container_path, v.read_only)
            for v in c.volumes
            if not v.host_path and not v.volume_name
        ),
        port_mappings=tuple(
            PortMapping(p.container_port, p.host_port, p.protocol or "tcp") for p in c.port_mappings
        ),
        health_check=_check_from_pb(msg.health_check) if msg.HasField("health_check") else None,
        user=c.user,
        privileged=c.privileged,
        network=c.network,
        pid=c.pid,
        entrypoint=tuple(c.entrypoint),
        revocable=msg.revocable,
        stop_signal=c.stop_signal,
        stdin_open=c.stdin_open,
        tty=c.tty,
    )


def _check_to_pb(check: HealthCheck) -> pb.HealthCheck:
    msg = pb.HealthCheck(
        interval_seconds=check.interval,
        timeout_seconds=check.timeout,
        grace_period_seconds=check.grace_period,
        max_consecutive_failures=check.max_consecutive_failures,
        kill_when_unhealthy=check.kill_when_unhealthy,
    )
    if check.kind == "command":
        msg.command.command.extend(check.command)
    elif check.kind == "tcp":
        msg.tcp.port = check.port
    elif check.kind == "http":
        msg.http.port, msg.http.path = check.port, check.path
    return msg


def _check_from_pb(msg: pb.HealthCheck) -> HealthCheck:
    kind = msg.WhichOneof("check") or ""
    return HealthCheck(
        kind=kind,
        command=tuple(msg.command.command),
        port=msg.tcp.port if kind == "tcp" else msg.http.port,
        path=msg.http.path or "/",
        interval=msg.interval_seconds or _CHECK_INTERVAL,
        timeout=msg.timeout_seconds or _CHECK_TIMEOUT,
        grace_period=msg.grace_period_seconds,
        max_consecutive_failures=msg.max_consecutive_failures or _CHECK_FAILURES,
        kill_when_unhealthy=msg.kill_when_unhealthy,
    )


def _enum(kind: type[_E], value: int) -> _E:
    try:
        return kind(value)
    except ValueError:
        return kind(0)


def spec_to_json(spec: TaskSpec, with_env: bool = True) -> str:
    """A TaskSpec as the protobuf JSON of its TaskInfo: the one stored form
    (state store rows, container labels), stable as the proto evolves."""
    msg = task_to_pb(spec)
    if not with_env:
        msg.container.ClearField("env")
    text: str = json_format.MessageToJson(msg, indent=None, preserving_proto_field_name=True)
    return text


def spec_from_json(text: str) -> TaskSpec:
    """Raises ValueError when `text` is not a TaskInfo in JSON."""
    try:
        # What spec_to_json writes maps onto the message's own fields, and the
        # C json parser plus the constructor are ten times faster than
        # json_format (a master restart reads every task's spec). Anything else
        # (NaN written as "NaN", a 64-bit number as a string) raises here and
        # takes the full parser.
        msg = pb.TaskInfo(**json.loads(text))
    except (TypeError, ValueError, AttributeError):
        try:
            msg = json_format.Parse(text, pb.TaskInfo())
        except json_format.ParseError as err:
            raise ValueError(str(err)) from None
    return task_from_pb(msg)
