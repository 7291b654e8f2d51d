from offer.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MasterRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MASTER_ROLE_UNSPECIFIED: _ClassVar[MasterRole]
    MASTER_ROLE_LEADER: _ClassVar[MasterRole]
    MASTER_ROLE_STANDBY: _ClassVar[MasterRole]

class ClusterEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUSTER_EVENT_TYPE_UNSPECIFIED: _ClassVar[ClusterEventType]
    EVENT_AGENT_ADDED: _ClassVar[ClusterEventType]
    EVENT_AGENT_REREGISTERED: _ClassVar[ClusterEventType]
    EVENT_AGENT_DISCONNECTED: _ClassVar[ClusterEventType]
    EVENT_AGENT_LOST: _ClassVar[ClusterEventType]
    EVENT_AGENT_DRAINING: _ClassVar[ClusterEventType]
    EVENT_AGENT_REACTIVATED: _ClassVar[ClusterEventType]
    EVENT_FRAMEWORK_SUBSCRIBED: _ClassVar[ClusterEventType]
    EVENT_FRAMEWORK_DISCONNECTED: _ClassVar[ClusterEventType]
    EVENT_FRAMEWORK_REMOVED: _ClassVar[ClusterEventType]
    EVENT_TASK_CHANGED: _ClassVar[ClusterEventType]
    EVENT_DROPPED: _ClassVar[ClusterEventType]
    EVENT_CAUGHT_UP: _ClassVar[ClusterEventType]
    EVENT_AGENT_ENGINE_UNAVAILABLE: _ClassVar[ClusterEventType]
    EVENT_AGENT_ENGINE_AVAILABLE: _ClassVar[ClusterEventType]
MASTER_ROLE_UNSPECIFIED: MasterRole
MASTER_ROLE_LEADER: MasterRole
MASTER_ROLE_STANDBY: MasterRole
CLUSTER_EVENT_TYPE_UNSPECIFIED: ClusterEventType
EVENT_AGENT_ADDED: ClusterEventType
EVENT_AGENT_REREGISTERED: ClusterEventType
EVENT_AGENT_DISCONNECTED: ClusterEventType
EVENT_AGENT_LOST: ClusterEventType
EVENT_AGENT_DRAINING: ClusterEventType
EVENT_AGENT_REACTIVATED: ClusterEventType
EVENT_FRAMEWORK_SUBSCRIBED: ClusterEventType
EVENT_FRAMEWORK_DISCONNECTED: ClusterEventType
EVENT_FRAMEWORK_REMOVED: ClusterEventType
EVENT_TASK_CHANGED: ClusterEventType
EVENT_DROPPED: ClusterEventType
EVENT_CAUGHT_UP: ClusterEventType
EVENT_AGENT_ENGINE_UNAVAILABLE: ClusterEventType
EVENT_AGENT_ENGINE_AVAILABLE: ClusterEventType

class ReserveResourcesRequest(_message.Message):
    __slots__ = ("agent_id", "role", "resources")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    role: str
    resources: _common_pb2.Resources
    def __init__(self, agent_id: _Optional[str] = ..., role: _Optional[str] = ..., resources: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ...) -> None: ...

class ReserveResourcesResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: _common_pb2.AgentInfo
    def __init__(self, agent: _Optional[_Union[_common_pb2.AgentInfo, _Mapping]] = ...) -> None: ...

class UnreserveResourcesRequest(_message.Message):
    __slots__ = ("agent_id", "role", "resources")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    role: str
    resources: _common_pb2.Resources
    def __init__(self, agent_id: _Optional[str] = ..., role: _Optional[str] = ..., resources: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ...) -> None: ...

class UnreserveResourcesResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: _common_pb2.AgentInfo
    def __init__(self, agent: _Optional[_Union[_common_pb2.AgentInfo, _Mapping]] = ...) -> None: ...

class RoleReservations(_message.Message):
    __slots__ = ("role", "reserved", "dynamic", "in_use", "agents")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_FIELD_NUMBER: _ClassVar[int]
    IN_USE_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    role: str
    reserved: _common_pb2.Resources
    dynamic: _common_pb2.Resources
    in_use: _common_pb2.Resources
    agents: int
    def __init__(self, role: _Optional[str] = ..., reserved: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., dynamic: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., in_use: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., agents: _Optional[int] = ...) -> None: ...

class QuotaConfig(_message.Message):
    __slots__ = ("role", "guarantees", "limits")
    class GuaranteesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class LimitsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ROLE_FIELD_NUMBER: _ClassVar[int]
    GUARANTEES_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    role: str
    guarantees: _containers.ScalarMap[str, float]
    limits: _containers.ScalarMap[str, float]
    def __init__(self, role: _Optional[str] = ..., guarantees: _Optional[_Mapping[str, float]] = ..., limits: _Optional[_Mapping[str, float]] = ...) -> None: ...

class RoleQuota(_message.Message):
    __slots__ = ("config", "consumption", "held_back", "room", "at_limit")
    class RoomEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_FIELD_NUMBER: _ClassVar[int]
    HELD_BACK_FIELD_NUMBER: _ClassVar[int]
    ROOM_FIELD_NUMBER: _ClassVar[int]
    AT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    config: QuotaConfig
    consumption: _common_pb2.Resources
    held_back: _common_pb2.Resources
    room: _containers.ScalarMap[str, float]
    at_limit: bool
    def __init__(self, config: _Optional[_Union[QuotaConfig, _Mapping]] = ..., consumption: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., held_back: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., room: _Optional[_Mapping[str, float]] = ..., at_limit: _Optional[bool] = ...) -> None: ...

class SetQuotaRequest(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: QuotaConfig
    def __init__(self, quota: _Optional[_Union[QuotaConfig, _Mapping]] = ...) -> None: ...

class SetQuotaResponse(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: RoleQuota
    def __init__(self, quota: _Optional[_Union[RoleQuota, _Mapping]] = ...) -> None: ...

class RemoveQuotaRequest(_message.Message):
    __slots__ = ("role",)
    ROLE_FIELD_NUMBER: _ClassVar[int]
    role: str
    def __init__(self, role: _Optional[str] = ...) -> None: ...

class RemoveQuotaResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListQuotasRequest(_message.Message):
    __slots__ = ("role",)
    ROLE_FIELD_NUMBER: _ClassVar[int]
    role: str
    def __init__(self, role: _Optional[str] = ...) -> None: ...

class ListQuotasResponse(_message.Message):
    __slots__ = ("quotas",)
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    quotas: _containers.RepeatedCompositeFieldContainer[RoleQuota]
    def __init__(self, quotas: _Optional[_Iterable[_Union[RoleQuota, _Mapping]]] = ...) -> None: ...

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

class RemoveAgentRequest(_message.Message):
    __slots__ = ("agent_id",)
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    def __init__(self, agent_id: _Optional[str] = ...) -> None: ...

class RemoveAgentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TeardownFrameworkRequest(_message.Message):
    __slots__ = ("framework_id",)
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    def __init__(self, framework_id: _Optional[str] = ...) -> None: ...

class TeardownFrameworkResponse(_message.Message):
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
    __slots__ = ("frameworks", "quotas")
    FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    frameworks: _containers.RepeatedCompositeFieldContainer[FrameworkSummary]
    quotas: _containers.RepeatedCompositeFieldContainer[RoleQuota]
    def __init__(self, frameworks: _Optional[_Iterable[_Union[FrameworkSummary, _Mapping]]] = ..., quotas: _Optional[_Iterable[_Union[RoleQuota, _Mapping]]] = ...) -> None: ...

class TaskSummary(_message.Message):
    __slots__ = ("task_id", "framework_id", "agent_id", "name", "resources", "container", "status", "created_at", "usage", "agent_address", "revocable")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REVOCABLE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    framework_id: str
    agent_id: str
    name: str
    resources: _common_pb2.Resources
    container: _common_pb2.ContainerSpec
    status: _common_pb2.TaskStatus
    created_at: float
    usage: _common_pb2.Usage
    agent_address: str
    revocable: bool
    def __init__(self, task_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., name: _Optional[str] = ..., resources: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., container: _Optional[_Union[_common_pb2.ContainerSpec, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.TaskStatus, _Mapping]] = ..., created_at: _Optional[float] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., agent_address: _Optional[str] = ..., revocable: _Optional[bool] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("framework_id", "agent_id", "states", "limit", "page_token", "framework_ids", "agent_ids")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_IDS_FIELD_NUMBER: _ClassVar[int]
    AGENT_IDS_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    agent_id: str
    states: _containers.RepeatedScalarFieldContainer[_common_pb2.TaskState]
    limit: int
    page_token: str
    framework_ids: _containers.RepeatedScalarFieldContainer[str]
    agent_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_common_pb2.TaskState, str]]] = ..., limit: _Optional[int] = ..., page_token: _Optional[str] = ..., framework_ids: _Optional[_Iterable[str]] = ..., agent_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks", "next_page_token", "remaining")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskSummary]
    next_page_token: str
    remaining: int
    def __init__(self, tasks: _Optional[_Iterable[_Union[TaskSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., remaining: _Optional[int] = ...) -> None: ...

class GetTaskRequest(_message.Message):
    __slots__ = ("task_id", "framework_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    framework_id: str
    def __init__(self, task_id: _Optional[str] = ..., framework_id: _Optional[str] = ...) -> None: ...

class GetTaskResponse(_message.Message):
    __slots__ = ("task", "history")
    TASK_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    task: TaskSummary
    history: _containers.RepeatedCompositeFieldContainer[_common_pb2.TaskStatus]
    def __init__(self, task: _Optional[_Union[TaskSummary, _Mapping]] = ..., history: _Optional[_Iterable[_Union[_common_pb2.TaskStatus, _Mapping]]] = ...) -> None: ...

class OfferSummary(_message.Message):
    __slots__ = ("offer", "created_at")
    OFFER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    offer: _common_pb2.Offer
    created_at: float
    def __init__(self, offer: _Optional[_Union[_common_pb2.Offer, _Mapping]] = ..., created_at: _Optional[float] = ...) -> None: ...

class ListOffersRequest(_message.Message):
    __slots__ = ("framework_id", "agent_id")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    agent_id: str
    def __init__(self, framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class ListOffersResponse(_message.Message):
    __slots__ = ("offers",)
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    offers: _containers.RepeatedCompositeFieldContainer[OfferSummary]
    def __init__(self, offers: _Optional[_Iterable[_Union[OfferSummary, _Mapping]]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("address", "version", "started_at", "now", "agents", "frameworks", "tasks", "total", "allocated", "offered", "idle", "used", "role", "leader", "epoch", "quotas", "reservations")
    class AgentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class FrameworksEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class TasksEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    OFFERED_FIELD_NUMBER: _ClassVar[int]
    IDLE_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    address: str
    version: str
    started_at: float
    now: float
    agents: _containers.ScalarMap[str, int]
    frameworks: _containers.ScalarMap[str, int]
    tasks: _containers.ScalarMap[str, int]
    total: _common_pb2.Resources
    allocated: _common_pb2.Resources
    offered: _common_pb2.Resources
    idle: _common_pb2.Resources
    used: _common_pb2.Usage
    role: MasterRole
    leader: str
    epoch: int
    quotas: _containers.RepeatedCompositeFieldContainer[RoleQuota]
    reservations: _containers.RepeatedCompositeFieldContainer[RoleReservations]
    def __init__(self, address: _Optional[str] = ..., version: _Optional[str] = ..., started_at: _Optional[float] = ..., now: _Optional[float] = ..., agents: _Optional[_Mapping[str, int]] = ..., frameworks: _Optional[_Mapping[str, int]] = ..., tasks: _Optional[_Mapping[str, int]] = ..., total: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., allocated: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., offered: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., idle: _Optional[_Union[_common_pb2.Resources, _Mapping]] = ..., used: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., role: _Optional[_Union[MasterRole, str]] = ..., leader: _Optional[str] = ..., epoch: _Optional[int] = ..., quotas: _Optional[_Iterable[_Union[RoleQuota, _Mapping]]] = ..., reservations: _Optional[_Iterable[_Union[RoleReservations, _Mapping]]] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("replay", "follow")
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    replay: int
    follow: bool
    def __init__(self, replay: _Optional[int] = ..., follow: _Optional[bool] = ...) -> None: ...

class ClusterEvent(_message.Message):
    __slots__ = ("seq", "timestamp", "type", "agent_id", "framework_id", "status", "message")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    timestamp: float
    type: ClusterEventType
    agent_id: str
    framework_id: str
    status: _common_pb2.TaskStatus
    message: str
    def __init__(self, seq: _Optional[int] = ..., timestamp: _Optional[float] = ..., type: _Optional[_Union[ClusterEventType, str]] = ..., agent_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.TaskStatus, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...
