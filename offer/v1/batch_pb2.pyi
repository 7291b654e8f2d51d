from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmitJobsRequest(_message.Message):
    __slots__ = ("yaml",)
    YAML_FIELD_NUMBER: _ClassVar[int]
    yaml: str
    def __init__(self, yaml: _Optional[str] = ...) -> None: ...

class SubmitJobsResponse(_message.Message):
    __slots__ = ("names",)
    NAMES_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, names: _Optional[_Iterable[str]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[JobStatus]
    def __init__(self, jobs: _Optional[_Iterable[_Union[JobStatus, _Mapping]]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RunJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RunStatus]
    def __init__(self, runs: _Optional[_Iterable[_Union[RunStatus, _Mapping]]] = ...) -> None: ...

class GetRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class RemoveJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RemoveJobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class JobStatus(_message.Message):
    __slots__ = ("name", "spec_yaml", "schedule", "timezone", "next_run_at", "depends_on", "active_runs", "last_run", "submitted_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_YAML_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_AT_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_RUNS_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    spec_yaml: str
    schedule: str
    timezone: str
    next_run_at: float
    depends_on: _containers.RepeatedScalarFieldContainer[str]
    active_runs: int
    last_run: RunStatus
    submitted_at: float
    def __init__(self, name: _Optional[str] = ..., spec_yaml: _Optional[str] = ..., schedule: _Optional[str] = ..., timezone: _Optional[str] = ..., next_run_at: _Optional[float] = ..., depends_on: _Optional[_Iterable[str]] = ..., active_runs: _Optional[int] = ..., last_run: _Optional[_Union[RunStatus, _Mapping]] = ..., submitted_at: _Optional[float] = ...) -> None: ...

class RunStatus(_message.Message):
    __slots__ = ("run_id", "job", "state", "trigger", "created_at", "scheduled_for", "ended_at", "message", "exit_code", "completions", "parallelism", "succeeded", "running", "failed_attempts", "tasks", "framework_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FOR_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    PARALLELISM_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    job: str
    state: str
    trigger: str
    created_at: float
    scheduled_for: float
    ended_at: float
    message: str
    exit_code: int
    completions: int
    parallelism: int
    succeeded: int
    running: int
    failed_attempts: int
    tasks: _containers.RepeatedCompositeFieldContainer[RunTask]
    framework_id: str
    def __init__(self, run_id: _Optional[str] = ..., job: _Optional[str] = ..., state: _Optional[str] = ..., trigger: _Optional[str] = ..., created_at: _Optional[float] = ..., scheduled_for: _Optional[float] = ..., ended_at: _Optional[float] = ..., message: _Optional[str] = ..., exit_code: _Optional[int] = ..., completions: _Optional[int] = ..., parallelism: _Optional[int] = ..., succeeded: _Optional[int] = ..., running: _Optional[int] = ..., failed_attempts: _Optional[int] = ..., tasks: _Optional[_Iterable[_Union[RunTask, _Mapping]]] = ..., framework_id: _Optional[str] = ...) -> None: ...

class RunTask(_message.Message):
    __slots__ = ("task_id", "index", "attempt", "state", "exit_code", "agent_id", "hostname", "created_at", "started_at", "ended_at", "message", "timed_out", "address")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    index: int
    attempt: int
    state: str
    exit_code: int
    agent_id: str
    hostname: str
    created_at: float
    started_at: float
    ended_at: float
    message: str
    timed_out: bool
    address: str
    def __init__(self, task_id: _Optional[str] = ..., index: _Optional[int] = ..., attempt: _Optional[int] = ..., state: _Optional[str] = ..., exit_code: _Optional[int] = ..., agent_id: _Optional[str] = ..., hostname: _Optional[str] = ..., created_at: _Optional[float] = ..., started_at: _Optional[float] = ..., ended_at: _Optional[float] = ..., message: _Optional[str] = ..., timed_out: _Optional[bool] = ..., address: _Optional[str] = ...) -> None: ...

class GetJobSchemaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class JobSchema(_message.Message):
    __slots__ = ("spec_json_schema", "document_json_schema")
    SPEC_JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    spec_json_schema: str
    document_json_schema: str
    def __init__(self, spec_json_schema: _Optional[str] = ..., document_json_schema: _Optional[str] = ...) -> None: ...
