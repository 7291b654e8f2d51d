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
    REASON_UNHEALTHY: _ClassVar[StatusReason]
    REASON_AGENT_DRAINED: _ClassVar[StatusReason]
    REASON_ENGINE_UNAVAILABLE: _ClassVar[StatusReason]
    REASON_HEALTH_CHANGED: _ClassVar[StatusReason]
    REASON_PREEMPTED: _ClassVar[StatusReason]

class ReservationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESERVATION_TYPE_UNSPECIFIED: _ClassVar[ReservationType]
    RESERVATION_STATIC: _ClassVar[ReservationType]
    RESERVATION_DYNAMIC: _ClassVar[ReservationType]
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
REASON_UNHEALTHY: StatusReason
REASON_AGENT_DRAINED: StatusReason
REASON_ENGINE_UNAVAILABLE: StatusReason
REASON_HEALTH_CHANGED: StatusReason
REASON_PREEMPTED: StatusReason
RESERVATION_TYPE_UNSPECIFIED: ReservationType
RESERVATION_STATIC: ReservationType
RESERVATION_DYNAMIC: ReservationType

class Resources(_message.Message):
    __slots__ = ("cpus", "mem", "disk", "ports")
    CPUS_FIELD_NUMBER: _ClassVar[int]
    MEM_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    cpus: float
    mem: float
    disk: float
    ports: _containers.RepeatedCompositeFieldContainer[Range]
    def __init__(self, cpus: _Optional[float] = ..., mem: _Optional[float] = ..., disk: _Optional[float] = ..., ports: _Optional[_Iterable[_Union[Range, _Mapping]]] = ...) -> None: ...

class Range(_message.Message):
    __slots__ = ("begin", "end")
    BEGIN_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    begin: int
    end: int
    def __init__(self, begin: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("cpus_used", "mem_used", "timestamp")
    CPUS_USED_FIELD_NUMBER: _ClassVar[int]
    MEM_USED_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    cpus_used: float
    mem_used: float
    timestamp: float
    def __init__(self, cpus_used: _Optional[float] = ..., mem_used: _Optional[float] = ..., timestamp: _Optional[float] = ...) -> None: ...

class TaskStatus(_message.Message):
    __slots__ = ("task_id", "framework_id", "agent_id", "state", "reason", "message", "timestamp", "uuid", "exit_code", "healthy")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    framework_id: str
    agent_id: str
    state: TaskState
    reason: StatusReason
    message: str
    timestamp: float
    uuid: str
    exit_code: int
    healthy: bool
    def __init__(self, task_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., state: _Optional[_Union[TaskState, str]] = ..., reason: _Optional[_Union[StatusReason, str]] = ..., message: _Optional[str] = ..., timestamp: _Optional[float] = ..., uuid: _Optional[str] = ..., exit_code: _Optional[int] = ..., healthy: _Optional[bool] = ...) -> None: ...

class ContainerSpec(_message.Message):
    __slots__ = ("image", "command", "env", "working_dir", "labels", "volumes", "port_mappings", "user", "privileged", "network", "pid", "entrypoint", "stop_signal", "stdin_open", "tty")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIR_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    VOLUMES_FIELD_NUMBER: _ClassVar[int]
    PORT_MAPPINGS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGED_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    ENTRYPOINT_FIELD_NUMBER: _ClassVar[int]
    STOP_SIGNAL_FIELD_NUMBER: _ClassVar[int]
    STDIN_OPEN_FIELD_NUMBER: _ClassVar[int]
    TTY_FIELD_NUMBER: _ClassVar[int]
    image: str
    command: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.ScalarMap[str, str]
    working_dir: str
    labels: _containers.ScalarMap[str, str]
    volumes: _containers.RepeatedCompositeFieldContainer[Volume]
    port_mappings: _containers.RepeatedCompositeFieldContainer[PortMapping]
    user: str
    privileged: bool
    network: str
    pid: str
    entrypoint: _containers.RepeatedScalarFieldContainer[str]
    stop_signal: str
    stdin_open: bool
    tty: bool
    def __init__(self, image: _Optional[str] = ..., command: _Optional[_Iterable[str]] = ..., env: _Optional[_Mapping[str, str]] = ..., working_dir: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., volumes: _Optional[_Iterable[_Union[Volume, _Mapping]]] = ..., port_mappings: _Optional[_Iterable[_Union[PortMapping, _Mapping]]] = ..., user: _Optional[str] = ..., privileged: _Optional[bool] = ..., network: _Optional[str] = ..., pid: _Optional[str] = ..., entrypoint: _Optional[_Iterable[str]] = ..., stop_signal: _Optional[str] = ..., stdin_open: _Optional[bool] = ..., tty: _Optional[bool] = ...) -> None: ...

class Volume(_message.Message):
    __slots__ = ("host_path", "container_path", "read_only", "volume_name")
    HOST_PATH_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PATH_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    VOLUME_NAME_FIELD_NUMBER: _ClassVar[int]
    host_path: str
    container_path: str
    read_only: bool
    volume_name: str
    def __init__(self, host_path: _Optional[str] = ..., container_path: _Optional[str] = ..., read_only: _Optional[bool] = ..., volume_name: _Optional[str] = ...) -> None: ...

class PortMapping(_message.Message):
    __slots__ = ("container_port", "host_port", "protocol")
    CONTAINER_PORT_FIELD_NUMBER: _ClassVar[int]
    HOST_PORT_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    container_port: int
    host_port: int
    protocol: str
    def __init__(self, container_port: _Optional[int] = ..., host_port: _Optional[int] = ..., protocol: _Optional[str] = ...) -> None: ...

class HealthCheck(_message.Message):
    __slots__ = ("command", "tcp", "http", "interval_seconds", "timeout_seconds", "grace_period_seconds", "max_consecutive_failures", "kill_when_unhealthy")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    TCP_FIELD_NUMBER: _ClassVar[int]
    HTTP_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    GRACE_PERIOD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    KILL_WHEN_UNHEALTHY_FIELD_NUMBER: _ClassVar[int]
    command: CommandCheck
    tcp: TcpCheck
    http: HttpCheck
    interval_seconds: float
    timeout_seconds: float
    grace_period_seconds: float
    max_consecutive_failures: int
    kill_when_unhealthy: bool
    def __init__(self, command: _Optional[_Union[CommandCheck, _Mapping]] = ..., tcp: _Optional[_Union[TcpCheck, _Mapping]] = ..., http: _Optional[_Union[HttpCheck, _Mapping]] = ..., interval_seconds: _Optional[float] = ..., timeout_seconds: _Optional[float] = ..., grace_period_seconds: _Optional[float] = ..., max_consecutive_failures: _Optional[int] = ..., kill_when_unhealthy: _Optional[bool] = ...) -> None: ...

class CommandCheck(_message.Message):
    __slots__ = ("command",)
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    command: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, command: _Optional[_Iterable[str]] = ...) -> None: ...

class TcpCheck(_message.Message):
    __slots__ = ("port",)
    PORT_FIELD_NUMBER: _ClassVar[int]
    port: int
    def __init__(self, port: _Optional[int] = ...) -> None: ...

class HttpCheck(_message.Message):
    __slots__ = ("port", "path")
    PORT_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    port: int
    path: str
    def __init__(self, port: _Optional[int] = ..., path: _Optional[str] = ...) -> None: ...

class TaskInfo(_message.Message):
    __slots__ = ("task_id", "name", "resources", "container", "kill_grace_seconds", "health_check", "revocable")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    KILL_GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_FIELD_NUMBER: _ClassVar[int]
    REVOCABLE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    name: str
    resources: Resources
    container: ContainerSpec
    kill_grace_seconds: float
    health_check: HealthCheck
    revocable: bool
    def __init__(self, task_id: _Optional[str] = ..., name: _Optional[str] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., container: _Optional[_Union[ContainerSpec, _Mapping]] = ..., kill_grace_seconds: _Optional[float] = ..., health_check: _Optional[_Union[HealthCheck, _Mapping]] = ..., revocable: _Optional[bool] = ...) -> None: ...

class Offer(_message.Message):
    __slots__ = ("offer_id", "framework_id", "agent_id", "hostname", "resources", "attributes", "address", "reserved", "revocable")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    REVOCABLE_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    framework_id: str
    agent_id: str
    hostname: str
    resources: Resources
    attributes: _containers.ScalarMap[str, str]
    address: str
    reserved: Resources
    revocable: Resources
    def __init__(self, offer_id: _Optional[str] = ..., framework_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., address: _Optional[str] = ..., reserved: _Optional[_Union[Resources, _Mapping]] = ..., revocable: _Optional[_Union[Resources, _Mapping]] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ("role", "resources", "type")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    role: str
    resources: Resources
    type: ReservationType
    def __init__(self, role: _Optional[str] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., type: _Optional[_Union[ReservationType, str]] = ...) -> None: ...

class Filters(_message.Message):
    __slots__ = ("refuse_seconds",)
    REFUSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    refuse_seconds: float
    def __init__(self, refuse_seconds: _Optional[float] = ...) -> None: ...

class AgentInfo(_message.Message):
    __slots__ = ("agent_id", "hostname", "total", "allocated", "offered", "status", "registered_at", "attributes", "usage", "drain_deadline", "address", "reservations", "reserved_in_use")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ReservedInUseEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Resources
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Resources, _Mapping]] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    OFFERED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    DRAIN_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    RESERVED_IN_USE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    hostname: str
    total: Resources
    allocated: Resources
    offered: Resources
    status: str
    registered_at: float
    attributes: _containers.ScalarMap[str, str]
    usage: Usage
    drain_deadline: float
    address: str
    reservations: _containers.RepeatedCompositeFieldContainer[Reservation]
    reserved_in_use: _containers.MessageMap[str, Resources]
    def __init__(self, agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., total: _Optional[_Union[Resources, _Mapping]] = ..., allocated: _Optional[_Union[Resources, _Mapping]] = ..., offered: _Optional[_Union[Resources, _Mapping]] = ..., status: _Optional[str] = ..., registered_at: _Optional[float] = ..., attributes: _Optional[_Mapping[str, str]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., drain_deadline: _Optional[float] = ..., address: _Optional[str] = ..., reservations: _Optional[_Iterable[_Union[Reservation, _Mapping]]] = ..., reserved_in_use: _Optional[_Mapping[str, Resources]] = ...) -> None: ...

class FrameworkInfo(_message.Message):
    __slots__ = ("framework_id", "name", "role", "user", "failover_timeout", "control_address", "accepts_revocable")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    FAILOVER_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CONTROL_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTS_REVOCABLE_FIELD_NUMBER: _ClassVar[int]
    framework_id: str
    name: str
    role: str
    user: str
    failover_timeout: float
    control_address: str
    accepts_revocable: bool
    def __init__(self, framework_id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., user: _Optional[str] = ..., failover_timeout: _Optional[float] = ..., control_address: _Optional[str] = ..., accepts_revocable: _Optional[bool] = ...) -> None: ...
