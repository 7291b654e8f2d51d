from offer.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentMessage(_message.Message):
    __slots__ = ("register", "status_update")
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    register: Register
    status_update: StatusUpdate
    def __init__(self, register: _Optional[_Union[Register, _Mapping]] = ..., status_update: _Optional[_Union[StatusUpdate, _Mapping]] = ...) -> None: ...

class MasterMessage(_message.Message):
    __slots__ = ("registered", "launch_task", "kill_task", "status_update_ack", "shutdown_reason")
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TASK_FIELD_NUMBER: _ClassVar[int]
    KILL_TASK_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_ACK_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_REASON_FIELD_NUMBER: _ClassVar[int]
    registered: Registered
    launch_task: LaunchTask
    kill_task: KillTask
    status_update_ack: StatusUpdateAck
    shutdown_reason: str
    def __init__(self, registered: _Optional[_Union[Registered, _Mapping]] = ..., launch_task: _Optional[_Union[LaunchTask, _Mapping]] = ..., kill_task: _Optional[_Union[KillTask, _Mapping]] = ..., status_update_ack: _Optional[_Union[StatusUpdateAck, _Mapping]] = ..., shutdown_reason: _Optional[str] = ...) -> None: ...

class Register(_message.Message):
    __slots__ = ("agent_id", "hostname", "total", "tasks")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    hostname: str
    total: _common_pb2.Resources
    tasks: _containers.RepeatedCompositeFieldContainer[_common_pb2.TaskStatus]
    def __init__(self, agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., total: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_common_pb2.TaskStatus, _Mapping]]] = ...) -> None: ...

class Registered(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class LaunchTask(_message.Message):
    __slots__ = ("framework_id", "task")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    task: _common_pb2.TaskInfo
    def __init__(self, framework_id: _Optional[str] = ..., task: _Optional[_Union[_common_pb2.TaskInfo, _Mapping]] = ...) -> None: ...

class KillTask(_message.Message):
    __slots__ = ("framework_id", "task_id", "grace_seconds")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    task_id: str
    grace_seconds: float
    def __init__(self, framework_id: _Optional[str] = ..., task_id: _Optional[str] = ..., grace_seconds: _Optional[float] = ...) -> None: ...

class StatusUpdate(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.TaskStatus
    def __init__(self, status: _Optional[_Union[_common_pb2.TaskStatus, _Mapping]] = ...) -> None: ...

class StatusUpdateAck(_message.Message):
    __slots__ = ("uuid",)
    UUID_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    def __init__(self, uuid: _Optional[str] = ...) -> None: ...
