from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeploymentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPLOYMENT_STATE_UNSPECIFIED: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_IN_PROGRESS: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_COMPLETE: _ClassVar[DeploymentState]
    DEPLOYMENT_STATE_FAILED: _ClassVar[DeploymentState]
DEPLOYMENT_STATE_UNSPECIFIED: DeploymentState
DEPLOYMENT_STATE_IN_PROGRESS: DeploymentState
DEPLOYMENT_STATE_COMPLETE: DeploymentState
DEPLOYMENT_STATE_FAILED: DeploymentState

class DeployAppsRequest(_message.Message):
    __slots__ = ("yaml",)
    YAML_FIELD_NUMBER: _ClassVar[int]
    yaml: str
    def __init__(self, yaml: _Optional[str] = ...) -> None: ...

class DeployAppsResponse(_message.Message):
    __slots__ = ("app_ids",)
    APP_IDS_FIELD_NUMBER: _ClassVar[int]
    app_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, app_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAppsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAppsResponse(_message.Message):
    __slots__ = ("apps",)
    APPS_FIELD_NUMBER: _ClassVar[int]
    apps: _containers.RepeatedCompositeFieldContainer[AppStatus]
    def __init__(self, apps: _Optional[_Iterable[_Union[AppStatus, _Mapping]]] = ...) -> None: ...

class GetAppRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class ScaleAppRequest(_message.Message):
    __slots__ = ("app_id", "instances")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    instances: int
    def __init__(self, app_id: _Optional[str] = ..., instances: _Optional[int] = ...) -> None: ...

class RestartAppRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class RemoveAppRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class RemoveAppResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetAppHistoryRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class AppHistory(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[AppVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[AppVersion, _Mapping]]] = ...) -> None: ...

class AppVersion(_message.Message):
    __slots__ = ("revision", "deployed_at", "change", "spec_yaml")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    DEPLOYED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    SPEC_YAML_FIELD_NUMBER: _ClassVar[int]
    revision: int
    deployed_at: float
    change: str
    spec_yaml: str
    def __init__(self, revision: _Optional[int] = ..., deployed_at: _Optional[float] = ..., change: _Optional[str] = ..., spec_yaml: _Optional[str] = ...) -> None: ...

class RollbackAppRequest(_message.Message):
    __slots__ = ("app_id", "revision")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    revision: int
    def __init__(self, app_id: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class Deployment(_message.Message):
    __slots__ = ("state", "revision", "started_at", "deadline", "reason")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    state: DeploymentState
    revision: int
    started_at: float
    deadline: float
    reason: str
    def __init__(self, state: _Optional[_Union[DeploymentState, str]] = ..., revision: _Optional[int] = ..., started_at: _Optional[float] = ..., deadline: _Optional[float] = ..., reason: _Optional[str] = ...) -> None: ...

class AppStatus(_message.Message):
    __slots__ = ("app_id", "spec_yaml", "instances", "healthy", "tasks", "waiting_reason", "backoff_until", "deployment")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_YAML_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    WAITING_REASON_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_UNTIL_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    spec_yaml: str
    instances: int
    healthy: int
    tasks: _containers.RepeatedCompositeFieldContainer[Instance]
    waiting_reason: str
    backoff_until: float
    deployment: Deployment
    def __init__(self, app_id: _Optional[str] = ..., spec_yaml: _Optional[str] = ..., instances: _Optional[int] = ..., healthy: _Optional[int] = ..., tasks: _Optional[_Iterable[_Union[Instance, _Mapping]]] = ..., waiting_reason: _Optional[str] = ..., backoff_until: _Optional[float] = ..., deployment: _Optional[_Union[Deployment, _Mapping]] = ...) -> None: ...

class Instance(_message.Message):
    __slots__ = ("task_id", "agent_id", "hostname", "address", "state", "health", "host_ports", "started_at", "message", "revision")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    HOST_PORTS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    agent_id: str
    hostname: str
    address: str
    state: str
    health: str
    host_ports: _containers.RepeatedScalarFieldContainer[int]
    started_at: float
    message: str
    revision: int
    def __init__(self, task_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., address: _Optional[str] = ..., state: _Optional[str] = ..., health: _Optional[str] = ..., host_ports: _Optional[_Iterable[int]] = ..., started_at: _Optional[float] = ..., message: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class GetAppSchemaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AppSchema(_message.Message):
    __slots__ = ("spec_json_schema", "document_json_schema")
    SPEC_JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    spec_json_schema: str
    document_json_schema: str
    def __init__(self, spec_json_schema: _Optional[str] = ..., document_json_schema: _Optional[str] = ...) -> None: ...
