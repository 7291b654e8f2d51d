from offer.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentMessage(_message.Message):
    __slots__ = ("register", "status_update", "usage", "log_chunk", "engine")
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    LOG_CHUNK_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    register: Register
    status_update: StatusUpdate
    usage: UsageReport
    log_chunk: LogChunk
    engine: EngineState
    def __init__(self, register: _Optional[_Union[Register, _Mapping]] = ..., status_update: _Optional[_Union[StatusUpdate, _Mapping]] = ..., usage: _Optional[_Union[UsageReport, _Mapping]] = ..., log_chunk: _Optional[_Union[LogChunk, _Mapping]] = ..., engine: _Optional[_Union[EngineState, _Mapping]] = ...) -> None: ...

class EngineState(_message.Message):
    __slots__ = ("available", "message")
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    available: bool
    message: str
    def __init__(self, available: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class MasterMessage(_message.Message):
    __slots__ = ("registered", "launch_task", "kill_task", "status_update_ack", "shutdown_reason", "log_request", "log_cancel")
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TASK_FIELD_NUMBER: _ClassVar[int]
    KILL_TASK_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_ACK_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_REASON_FIELD_NUMBER: _ClassVar[int]
    LOG_REQUEST_FIELD_NUMBER: _ClassVar[int]
    LOG_CANCEL_FIELD_NUMBER: _ClassVar[int]
    registered: Registered
    launch_task: LaunchTask
    kill_task: KillTask
    status_update_ack: StatusUpdateAck
    shutdown_reason: str
    log_request: LogRequest
    log_cancel: LogCancel
    def __init__(self, registered: _Optional[_Union[Registered, _Mapping]] = ..., launch_task: _Optional[_Union[LaunchTask, _Mapping]] = ..., kill_task: _Optional[_Union[KillTask, _Mapping]] = ..., status_update_ack: _Optional[_Union[StatusUpdateAck, _Mapping]] = ..., shutdown_reason: _Optional[str] = ..., log_request: _Optional[_Union[LogRequest, _Mapping]] = ..., log_cancel: _Optional[_Union[LogCancel, _Mapping]] = ...) -> None: ...

class Register(_message.Message):
    __slots__ = ("agent_id", "hostname", "total", "tasks", "attributes", "address", "reservations")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    hostname: str
    total: _common_pb2.Resources
    tasks: _containers.RepeatedCompositeFieldContainer[_common_pb2.TaskStatus]
    attributes: _containers.ScalarMap[str, str]
    address: str
    reservations: _containers.RepeatedCompositeFieldContainer[_common_pb2.Reservation]
    def __init__(self, agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_common_pb2.TaskStatus, _Mapping]]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., address: _Optional[str] = ..., reservations: _Optional[_Iterable[_Union[_common_pb2.Reservation, _Mapping]]] = ...) -> None: ...

class Registered(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class LaunchTask(_message.Message):
    __slots__ = ("framework_id", "tasks")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    tasks: _containers.RepeatedCompositeFieldContainer[_common_pb2.TaskInfo]
    def __init__(self, framework_id: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[_common_pb2.TaskInfo, _Mapping]]] = ...) -> None: ...

class KillTask(_message.Message):
    __slots__ = ("framework_id", "task_id", "grace_seconds", "reason")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    task_id: str
    grace_seconds: float
    reason: _common_pb2.StatusReason
    def __init__(self, framework_id: _Optional[str] = ..., task_id: _Optional[str] = ..., grace_seconds: _Optional[float] = ..., reason: _Optional[_Union[_common_pb2.StatusReason, str]] = ...) -> None: ...

class StatusUpdate(_message.Message):
    __slots__ = ("statuses",)
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedCompositeFieldContainer[_common_pb2.TaskStatus]
    def __init__(self, statuses: _Optional[_Iterable[_Union[_common_pb2.TaskStatus, _Mapping]]] = ...) -> None: ...

class StatusUpdateAck(_message.Message):
    __slots__ = ("uuids",)
    UUIDS_FIELD_NUMBER: _ClassVar[int]
    uuids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, uuids: _Optional[_Iterable[str]] = ...) -> None: ...

class UsageReport(_message.Message):
    __slots__ = ("machine", "tasks", "revocable_slack")
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    REVOCABLE_SLACK_FIELD_NUMBER: _ClassVar[int]
    machine: _common_pb2.Usage
    tasks: _containers.RepeatedCompositeFieldContainer[TaskUsage]
    revocable_slack: _common_pb2.Resources
    def __init__(self, machine: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[TaskUsage, _Mapping]]] = ..., revocable_slack: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ...) -> None: ...

class TaskUsage(_message.Message):
    __slots__ = ("framework_id", "task_id", "usage")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    task_id: str
    usage: _common_pb2.Usage
    def __init__(self, framework_id: _Optional[str] = ..., task_id: _Optional[str] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ...) -> None: ...

class LogRequest(_message.Message):
    __slots__ = ("request_id", "framework_id", "task_id", "tail_lines", "follow")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TAIL_LINES_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    framework_id: str
    task_id: str
    tail_lines: int
    follow: bool
    def __init__(self, request_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., task_id: _Optional[str] = ..., tail_lines: _Optional[int] = ..., follow: _Optional[bool] = ...) -> None: ...

class LogCancel(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class LogChunk(_message.Message):
    __slots__ = ("request_id", "data", "eof", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EOF_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    data: bytes
    eof: bool
    error: str
    def __init__(self, request_id: _Optional[str] = ..., data: _Optional[bytes] = ..., eof: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...
