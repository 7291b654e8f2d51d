from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATE_UNSPECIFIED: _ClassVar[TaskState]
    TASK_STAGING: _ClassVar[TaskState]
    TASK_STARTING: _ClassVar[TaskState]
    TASK_RUNNING: _ClassVar[TaskState]
    TASK_FINISHED: _ClassVar[TaskState]
    TASK_FAILED: _ClassVar[TaskState]
    TASK_KILLED: _ClassVar[TaskState]
    TASK_ERROR: _ClassVar[TaskState]
    TASK_LOST: _ClassVar[TaskState]
    TASK_UNKNOWN: _ClassVar[TaskState]
    TASK_KILLING: _ClassVar[TaskState]

class StatusReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_UNSPECIFIED: _ClassVar[StatusReason]
    REASON_COMMAND_EXITED: _ClassVar[StatusReason]
    REASON_KILLED_BY_REQUEST: _ClassVar[StatusReason]
    REASON_IMAGE_UNAVAILABLE: _ClassVar[StatusReason]
    REASON_CONTAINER_LAUNCH_FAILED: _ClassVar[StatusReason]
    REASON_OUT_OF_MEMORY: _ClassVar[StatusReason]
    REASON_AGENT_LOST: _ClassVar[StatusReason]
    REASON_INVALID_TASK: _ClassVar[StatusReason]
    REASON_RECONCILIATION: _ClassVar[StatusReason]
    REASON_FRAMEWORK_REMOVED: _ClassVar[StatusReason]
    REASON_AGENT_RESTARTED: _ClassVar[StatusReason]
TASK_STATE_UNSPECIFIED: TaskState
TASK_STAGING: TaskState
TASK_STARTING: TaskState
TASK_RUNNING: TaskState
TASK_FINISHED: TaskState
TASK_FAILED: TaskState
TASK_KILLED: TaskState
TASK_ERROR: TaskState
TASK_LOST: TaskState
TASK_UNKNOWN: TaskState
TASK_KILLING: TaskState
REASON_UNSPECIFIED: StatusReason
REASON_COMMAND_EXITED: StatusReason
REASON_KILLED_BY_REQUEST: StatusReason
REASON_IMAGE_UNAVAILABLE: StatusReason
REASON_CONTAINER_LAUNCH_FAILED: StatusReason
REASON_OUT_OF_MEMORY: StatusReason
REASON_AGENT_LOST: StatusReason
REASON_INVALID_TASK: StatusReason
REASON_RECONCILIATION: StatusReason
REASON_FRAMEWORK_REMOVED: StatusReason
REASON_AGENT_RESTARTED: StatusReason

class Resources(_message.Message):
    __slots__ = ("cpus", "mem", "disk")
    CPUS_FIELD_NUMBER: _ClassVar[int]
    MEM_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    cpus: float
    mem: float
    disk: float
    def __init__(self, cpus: _Optional[float] = ..., mem: _Optional[float] = ..., disk: _Optional[float] = ...) -> None: ...

class TaskStatus(_message.Message):
    __slots__ = ("task_id", "framework_id", "agent_id", "state", "reason", "message", "timestamp", "uuid", "exit_code")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    framework_id: str
    agent_id: str
    state: TaskState
    reason: StatusReason
    message: str
    timestamp: float
    uuid: str
    exit_code: int
    def __init__(self, task_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., state: _Optional[_Union[TaskState, str]] = ..., reason: _Optional[_Union[StatusReason, str]] = ..., message: _Optional[str] = ..., timestamp: _Optional[float] = ..., uuid: _Optional[str] = ..., exit_code: _Optional[int] = ...) -> None: ...

class ContainerSpec(_message.Message):
    __slots__ = ("image", "command", "env")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    image: str
    command: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.ScalarMap[str, str]
    def __init__(self, image: _Optional[str] = ..., command: _Optional[_Iterable[str]] = ..., env: _Optional[_Mapping[str, str]] = ...) -> None: ...

class TaskInfo(_message.Message):
    __slots__ = ("task_id", "name", "resources", "container", "kill_grace_seconds")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    KILL_GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    name: str
    resources: Resources
    container: ContainerSpec
    kill_grace_seconds: float
    def __init__(self, task_id: _Optional[str] = ..., name: _Optional[str] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., container: _Optional[_Union[ContainerSpec, _Mapping]] = ..., kill_grace_seconds: _Optional[float] = ...) -> None: ...

class Offer(_message.Message):
    __slots__ = ("offer_id", "framework_id", "agent_id", "hostname", "resources")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    framework_id: str
    agent_id: str
    hostname: str
    resources: Resources
    def __init__(self, offer_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ...) -> None: ...

class Filters(_message.Message):
    __slots__ = ("refuse_seconds",)
    REFUSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    refuse_seconds: float
    def __init__(self, refuse_seconds: _Optional[float] = ...) -> None: ...

class AgentInfo(_message.Message):
    __slots__ = ("agent_id", "hostname", "total", "allocated", "offered", "status", "registered_at")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    OFFERED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    hostname: str
    total: Resources
    allocated: Resources
    offered: Resources
    status: str
    registered_at: float
    def __init__(self, agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., total: _Optional[_Union[Resources, _Mapping]] = ..., allocated: _Optional[_Union[Resources, _Mapping]] = ..., offered: _Optional[_Union[Resources, _Mapping]] = ..., status: _Optional[str] = ..., registered_at: _Optional[float] = ...) -> None: ...

class FrameworkInfo(_message.Message):
    __slots__ = ("framework_id", "name", "role", "user", "failover_timeout")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    FAILOVER_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    name: str
    role: str
    user: str
    failover_timeout: float
    def __init__(self, framework_id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., user: _Optional[str] = ..., failover_timeout: _Optional[float] = ...) -> None: ...
