"""Task states and status records (pure; shared by master, agent and SDK)."""

from __future__ import annotations

import enum
import os
import time
from dataclasses import dataclass, field

from offer.resources import Resources

__all__ = [
    "TERMINAL_STATES",
    "AnonymousVolume",
    "HealthCheck",
    "NamedVolume",
    "PortMapping",
    "StatusReason",
    "TaskSpec",
    "TaskState",
    "TaskStatus",
    "Volume",
    "stop_signal_problem",
]


class TaskState(enum.IntEnum):
    """Mirrors offer.v1.TaskState; the numbers are the wire values."""

    UNSPECIFIED = 0
    STAGING = 1
    STARTING = 2
    RUNNING = 3
    FINISHED = 4
    FAILED = 5
    KILLED = 6
    ERROR = 7
    LOST = 8
    UNKNOWN = 9
    KILLING = 10

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {TaskState.FINISHED, TaskState.FAILED, TaskState.KILLED, TaskState.ERROR, TaskState.LOST}
)


class StatusReason(enum.IntEnum):
    """Mirrors offer.v1.StatusReason."""

    UNSPECIFIED = 0
    COMMAND_EXITED = 1
    KILLED_BY_REQUEST = 2
    IMAGE_UNAVAILABLE = 3
    CONTAINER_LAUNCH_FAILED = 4
    OUT_OF_MEMORY = 5
    AGENT_LOST = 6
    INVALID_TASK = 7
    RECONCILIATION = 8
    FRAMEWORK_REMOVED = 9
    AGENT_RESTARTED = 10
    UNHEALTHY = 11
    AGENT_DRAINED = 12
    ENGINE_UNAVAILABLE = 13
    HEALTH_CHANGED = 14
    PREEMPTED = 15


# Linux's signals, as Docker names them (its pkg/signal): a container is a
# Linux process whichever host the master runs on, so not Python's `signal`.
_SIGNALS = frozenset(
    (
        *("ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO"),
        *("IOT", "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP"),
        *("SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM"),
        *("WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX"),
        *(f"RTMIN+{n}" for n in range(1, 16)),
        *(f"RTMAX-{n}" for n in range(1, 15)),
    )
)


def stop_signal_problem(value: str) -> str | None:
    """Why `value` is not a stop signal the engine takes, if it is not: a
    signal name (SIGINT, or INT, in any case) or a number 1-64; "" is
    SIGTERM."""
    if not value:
        return None
    if value.isdigit():
        if 1 <= int(value) <= 64:
            return None
        return f"signal number {value} is not within 1-64"
    name = value.upper().removeprefix("SIG")
    if name in _SIGNALS:
        return None
    return (
        f"{value!r} is not a Linux signal: give a name such as SIGINT, SIGTERM, SIGQUIT, "
        "SIGHUP or SIGUSR1, or a number 1-64"
    )


def new_uuid() -> str:
    # 128 random bits as 32 hex digits, like uuid4().hex at a tenth of its cost
    # (one is made for every status update).
    return os.urandom(16).hex()


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """One observed state of a task, with why and when."""

    task_id: str
    framework_id: str
    agent_id: str
    state: TaskState
    reason: StatusReason = StatusReason.UNSPECIFIED
    message: str = ""
    timestamp: float = field(default_factory=time.time)
    uuid: str = field(default_factory=new_uuid)
    exit_code: int | None = None
    # Latest health-check verdict, for tasks that have a health check.
    healthy: bool | None = None


@dataclass(frozen=True, slots=True)
class PortMapping:
    container_port: int
    host_port: int
    protocol: str = "tcp"


@dataclass(frozen=True, slots=True)
class Volume:
    """A folder of the agent's host mounted into the container (a bind
    mount): the master launches it only with the `host_mounts` grant."""

    host_path: str
    container_path: str
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class NamedVolume:
    """An engine volume on the agent, kept beyond the task: the agent names
    it "offer-<framework id>-<name>", so frameworks never share one (the
    proto's Volume.volume_name). Reaches no host folder: needs no grant."""

    name: str
    container_path: str
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class AnonymousVolume:
    """A fresh engine volume for one container, as `docker run -v /path`
    makes: the engine fills it with the image's content at that path, and
    the agent removes it with the container (the proto's Volume with
    neither host_path nor volume_name). Reaches no host folder: needs no
    grant."""

    container_path: str
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """How the agent checks a task: "command" (in the container), "tcp" or
    "http" (through the published host port of container port `port`)."""

    kind: str
    command: tuple[str, ...] = ()
    port: int = 0
    path: str = "/"
    interval: float = 10.0
    timeout: float = 5.0
    grace_period: float = 0.0
    max_consecutive_failures: int = 3
    kill_when_unhealthy: bool = False


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """What a framework asked to run: the part of a task that never changes."""

    task_id: str
    name: str
    resources: Resources
    image: str
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    kill_grace_seconds: float = 0.0
    working_dir: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    volumes: tuple[Volume, ...] = ()
    # On the wire they travel in the same list as `volumes` (with a
    # volume_name); kept apart here because only host mounts need a grant.
    named_volumes: tuple[NamedVolume, ...] = ()
    # In that list too, with neither a host_path nor a volume_name.
    anonymous_volumes: tuple[AnonymousVolume, ...] = ()
    port_mappings: tuple[PortMapping, ...] = ()
    health_check: HealthCheck | None = None
    # Empty: the image's user.
    user: str = ""
    # Reaching into the host; the master refuses these unless an ACL allows them.
    privileged: bool = False
    network: str = ""
    pid: str = ""
    # In place of the image's entrypoint (command is then its arguments);
    # empty: the image's; ("",): none.
    entrypoint: tuple[str, ...] = ()
    # Runs on revocable resources (lent slack of other tasks' allocations):
    # its agent kills it, reason PREEMPTED, when the slack shrinks.
    revocable: bool = False
    # The signal a kill sends first (SIGKILL follows after the kill grace);
    # empty: SIGTERM. A name or a number: stop_signal_problem() says which.
    stop_signal: str = ""
    # Stdin kept open though nothing is attached (docker run -i), and a
    # pseudo-terminal (docker run -t: stderr merged into stdout).
    stdin_open: bool = False
    tty: bool = False

    def host_port(self, container_port: int) -> int | None:
        """The host port that publishes `container_port`, if any."""
        for mapping in self.port_mappings:
            if mapping.container_port == container_port:
                return mapping.host_port
        return None
