from offer.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetTaskLogsRequest(_message.Message):
    __slots__ = ("task_id", "framework_id", "tail_lines", "follow")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TAIL_LINES_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    framework_id: str
    tail_lines: int
    follow: bool
    def __init__(self, task_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., tail_lines: _Optional[int] = ..., follow: _Optional[bool] = ...) -> None: ...

class TaskLogChunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class DrainAgentRequest(_message.Message):
    __slots__ = ("agent_id", "deadline_seconds")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    deadline_seconds: float
    def __init__(self, agent_id: _Optional[str] = ..., deadline_seconds: _Optional[float] = ...) -> None: ...

class DrainAgentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReactivateAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class ReactivateAgentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents",)
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[_common_pb2.AgentInfo]
    def __init__(self, agents: _Optional[_Iterable[_Union[_common_pb2.AgentInfo, _Mapping]]] = ...) -> None: ...

class FrameworkSummary(_message.Message):
    __slots__ = ("info", "connected", "allocated", "offered", "dominant_share", "registered_at", "active_tasks", "removed", "suppressed")
    INFO_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    OFFERED_FIELD_NUMBER: _ClassVar[int]
    DOMINANT_SHARE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_TASKS_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    info: _common_pb2.FrameworkInfo
    connected: bool
    allocated: _common_pb2.Resources
    offered: _common_pb2.Resources
    dominant_share: float
    registered_at: float
    active_tasks: int
    removed: bool
    suppressed: bool
    def __init__(self, info: _Optional[_Union[_common_pb2.FrameworkInfo, _Mapping]] = ..., connected: _Optional[bool] = ..., allocated: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., offered: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., dominant_share: _Optional[float] = ..., registered_at: _Optional[float] = ..., active_tasks: _Optional[int] = ..., removed: _Optional[bool] = ..., suppressed: _Optional[bool] = ...) -> None: ...

class ListFrameworksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListFrameworksResponse(_message.Message):
    __slots__ = ("frameworks",)
    FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    frameworks: _containers.RepeatedCompositeFieldContainer[FrameworkSummary]
    def __init__(self, frameworks: _Optional[_Iterable[_Union[FrameworkSummary, _Mapping]]] = ...) -> None: ...

class TaskSummary(_message.Message):
    __slots__ = ("task_id", "framework_id", "agent_id", "name", "resources", "container", "status", "created_at", "usage")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    framework_id: str
    agent_id: str
    name: str
    resources: _common_pb2.Resources
    container: _common_pb2.ContainerSpec
    status: _common_pb2.TaskStatus
    created_at: float
    usage: _common_pb2.Usage
    def __init__(self, task_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., name: _Optional[str] = ..., resources: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., container: _Optional[_Union[_common_pb2.ContainerSpec, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.TaskStatus, _Mapping]] = ..., created_at: _Optional[float] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("framework_id",)
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    def __init__(self, framework_id: _Optional[str] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskSummary]
    def __init__(self, tasks: _Optional[_Iterable[_Union[TaskSummary, _Mapping]]] = ...) -> None: ...
