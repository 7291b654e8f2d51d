"""App specs: what `offerctl app deploy` sends, read from YAML and checked
field by field. Pure: no I/O."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from frameworks.checks import SpecError, dependency_problem
from frameworks.schema import (
    Command,
    Cpus,
    Env,
    Image,
    KillGrace,
    Labels,
    Mem,
    Name,
    Spec,
    SpecModel,
    command_field,
    pattern_hint,
    validate_item,
)
from frameworks.sdk import (
    Constraint,
    HealthCheck,
    PortMapping,
    Resources,
    TaskSpec,
    Volume,
    make_task,
)
from offer.tasks import AnonymousVolume, NamedVolume, stop_signal_problem

Port = Annotated[int, Field(ge=1, le=65535)]
Link = Annotated[
    str,
    Field(
        pattern=pattern_hint(
            r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:[A-Za-z0-9_]+)?$", "is not APP or APP:ALIAS"
        )
    ),
]


def _constraint(value: list[str]) -> list[str]:
    if not 2 <= len(value) <= 3:
        raise ValueError(f"{value!r} is not [field, operator] or [field, operator, value]")
    bad = Constraint(*value).problem()
    if bad:
        raise ValueError(bad)
    return value


ConstraintItem = Annotated[list[str], AfterValidator(_constraint)]
# "hostname" or an agent attribute's name, as agents take them (--attributes "zone:a").
SpreadField = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=pattern_hint(r"^[^:;\s]+$", "is not an agent attribute name (or hostname)"),
    ),
]
# Placement is a preference for new instances, not part of what runs: changing it
# replaces no instance (as `instances` does not); nor does the rollout's deadline.
_PLACEMENT_FIELDS = ("placement", "spread_by", "upgrade_deadline_seconds")
# Fields added since apps' versions were first kept. At their defaults they
# are no part of a version, so that deploying an unchanged app again after an
# upgrade rolls none of its instances. A new field joins them
# (tests/frameworks/service/test_app_version.py says so when one is missed).
ADDED_FIELDS = (
    "entrypoint",
    "network",
    "privileged",
    "stdin_open",
    "stop_signal",
    "tty",
    "udp_ports",
    "user",
    "volumes",
    "working_dir",
)
# A named volume's name, as Compose's top-level volumes' keys (and short enough
# that "<app>.<instance>.<name>" stays within the agent's 128 characters).
VOLUME_NAME = r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,47})?$"
# Crash-loop delays beyond a year are a typo (and beyond the dates Python can print).
_YEAR = 365 * 86400.0


class HealthCheckSpec(SpecModel):
    """How each instance's health is checked; an instance that fails
    `max_consecutive_failures` checks in a row is replaced."""

    protocol: Literal["command", "tcp", "http"] = Field(
        description="command: run `command` in the container (exit 0 is healthy); "
        "tcp: connect to `port`; http: GET `path` on `port` (2xx/3xx is healthy)."
    )
    command: Command = command_field()
    port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="For tcp and http: one of the app's container `ports`.",
    )
    path: str = Field(default="/", description="For http: the path to GET.")
    interval_seconds: float = Field(default=10.0, gt=0, description="Seconds between checks.")
    timeout_seconds: float = Field(
        default=5.0, gt=0, description="Seconds a check may take before it counts as failed."
    )
    grace_period_seconds: float = Field(
        default=0.0, ge=0, description="Seconds after start during which failures do not count."
    )
    max_consecutive_failures: int = Field(
        default=3, ge=1, description="Failed checks in a row that make an instance unhealthy."
    )

    @field_validator("protocol", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _command_given(self) -> HealthCheckSpec:
        if self.protocol == "command" and not self.command:
            raise ValueError("command: required for protocol command")
        if self.protocol != "command" and not self.port:
            raise ValueError(f"port: required for protocol {self.protocol}")
        return self


class VolumeSpec(SpecModel):
    """One mount: a named volume (`name`), kept on the agent that first runs
    the instance, which stays there; a folder of the agent's host
    (`host_path`, a bind mount), which needs the `host_mounts` grant; or,
    with neither, an anonymous volume: fresh for each container, filled
    with the image's content at that path, and removed with the container."""

    container_path: str = Field(
        pattern=pattern_hint(r"^/.", "is not an absolute path inside the container, e.g. /data"),
        description="Where it is mounted inside the container: an absolute path.",
        examples=["/data"],
    )
    name: str = Field(
        default="",
        pattern=pattern_hint(
            VOLUME_NAME, "is not 1-48 letters, digits and '_.-', starting with a letter or digit"
        ),
        description="A named volume: each instance has its own, created on the agent that "
        "first runs the instance, which is then pinned there (a replacement waits for that "
        "agent rather than moving). Kept when the app is removed.",
        examples=["data"],
    )
    host_path: str = Field(
        default="",
        pattern=pattern_hint(r"^(/.*)?$", "is not an absolute path on the agent's host"),
        description="A folder of the agent's host (a bind mount); it must exist on every agent "
        "that may run the app. Needs the `host_mounts` containers grant (docs/security.md).",
        examples=["/srv/config"],
    )
    read_only: bool = Field(default=False, description="Mounted read-only.")

    @model_validator(mode="after")
    def _one_source(self) -> VolumeSpec:
        if self.name and self.host_path:
            raise ValueError(
                "give one of name (a named volume) and host_path (a bind mount), or neither "
                "(an anonymous volume), not both"
            )
        return self


class AppSpec(Spec):
    """A long-running app: `instances` copies of one container, kept running
    (and healthy) by offer-service."""

    id: Name = Field(description="The app's id: lowercase letters, digits and '-'.")
    image: Image
    cmd: Command = command_field()
    entrypoint: list[str] = Field(
        default=[],
        description="The program run in place of the image's entrypoint; `cmd` (a list) is "
        'then its arguments. Empty: the image\'s entrypoint; [""]: none (cmd runs as it is).',
        examples=[["/bin/sh", "-c"]],
    )
    cpus: Cpus = 0.1
    mem: Mem = 64.0
    instances: int = Field(
        default=1, ge=0, le=2**32 - 1, description="How many instances to keep running."
    )
    env: Env = Field(default={})
    ports: list[Port] = Field(
        default=[],
        description="Container ports; each instance gets a host port for each from the "
        "offer it is launched on (agents offer port ranges: --resources 'ports:[...]').",
        examples=[[8080]],
    )
    udp_ports: list[Port] = Field(
        default=[],
        description="Container ports spoken over UDP; each instance gets a host port for each, "
        "as for `ports`.",
        examples=[[53]],
    )
    working_dir: str = Field(default="", description="The working directory; empty: the image's.")
    user: str = Field(
        default="", description="The user (name or uid[:gid]) it runs as; empty: the image's."
    )
    privileged: bool = Field(
        default=False,
        description="Privileged mode (every capability and device): the master refuses it "
        "unless the framework's role has the `privileged` containers grant (docs/security.md).",
    )
    network: Literal["", "host"] = Field(
        default="",
        description="host: the host's network (ports are then the host's own); needs the "
        "`host_network` containers grant. Empty: the engine's bridge.",
    )
    stdin_open: bool = Field(
        default=False,
        description="Keep stdin open though nothing is attached (docker run -i): a program "
        "that reads stdin waits instead of exiting at its end (nothing is ever written to it).",
    )
    tty: bool = Field(
        default=False,
        description="A pseudo-terminal (docker run -t): the logs are then one stream, stderr "
        "merged into stdout.",
    )
    health_check: HealthCheckSpec | None = Field(
        default=None, description="How instances are checked; none: running is healthy."
    )
    volumes: list[VolumeSpec] = Field(
        default=[],
        description="Named volumes, bind mounts and anonymous volumes (neither name nor "
        "host_path: a fresh volume for each container, filled from the image, removed with "
        "it, as `docker run -v /path`). An app with named volumes never runs more "
        "than `instances` at once (each instance's volumes are used by one container at a "
        "time): a rolling update stops an old instance before starting its replacement, "
        "whatever maximum_over_capacity says.",
        examples=[[{"name": "data", "container_path": "/data"}]],
    )
    constraints: list[ConstraintItem] = Field(
        default=[],
        description="Placement rules, as Marathon: [field, operator] or [field, operator, "
        "value] on `hostname` or an agent attribute; operators UNIQUE, CLUSTER, IS, LIKE, "
        "UNLIKE, MAX_PER.",
        examples=[[["hostname", "UNIQUE"], ["rack", "MAX_PER", "2"]]],
    )
    placement: Literal["spread", "binpack"] = Field(
        default="spread",
        description="Where new instances go among the agents whose offers fit: spread (the "
        "agent running the fewest of this app, then the least loaded) or binpack (the fullest "
        "agent that fits, for density). Changing it moves no running instance.",
    )
    spread_by: list[SpreadField] = Field(
        default=[],
        description="With spread: agent attributes (or hostname) to spread over first, in "
        "order, as Swarm's --placement-pref; e.g. [zone]: 6 instances over 3 zones run 2 "
        "in each, however many agents each zone has.",
        examples=[["zone"]],
    )
    labels: Labels = Field(default={})
    backoff_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Delay before relaunching after the first failure in a row; each further "
        "failure multiplies it by `backoff_factor`.",
    )
    backoff_factor: float = Field(
        default=1.15, ge=1, description="What each failure in a row multiplies the delay by."
    )
    max_launch_delay_seconds: float = Field(
        default=300.0,
        ge=0,
        le=_YEAR,
        description="The longest delay between relaunches of a crashing app.",
    )
    stop_signal: str = Field(
        default="",
        description="The signal a kill sends each instance first, e.g. SIGINT (a name, or a "
        "number 1-64); SIGKILL follows after kill_grace_seconds. Empty: SIGTERM.",
        examples=["SIGINT"],
    )
    kill_grace_seconds: KillGrace = Field(
        default=3.0,
        description="Seconds between the stop signal (SIGTERM unless stop_signal says) and "
        "SIGKILL when an instance is killed.",
    )
    minimum_health_capacity: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Rolling updates: the fraction of `instances` that stays ready while a "
        "new version replaces the old.",
    )
    maximum_over_capacity: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Rolling updates: the fraction of `instances` that may run on top of "
        "`instances` meanwhile.",
    )
    upgrade_deadline_seconds: float = Field(
        default=600.0,
        gt=0,
        le=_YEAR,
        description="Rolling updates: seconds a deployment may go without progress (one "
        "more instance of the new version ready) before it is marked failed, saying why "
        "(crashing, unhealthy, no offers), as Kubernetes' progressDeadlineSeconds. It goes "
        "on; the old ready instances keep serving; `offerctl app rollback` returns to them.",
    )
    depends_on: list[Name] = Field(
        default=[],
        description="Apps that must have a ready instance before this one launches.",
        examples=[["db"]],
    )
    links: list[Link] = Field(
        default=[],
        description="APP or APP:ALIAS: a dependency whose address (its agent's "
        "--advertise-address) and host ports are passed in Docker's link variables "
        "(ALIAS_PORT=tcp://ADDR:PORT, ALIAS_PORT_6379_TCP_ADDR, ..._PORT, ...).",
        examples=[["db:redis"]],
    )

    @field_validator("stop_signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        if problem := stop_signal_problem(value):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _check_port(self) -> AppSpec:
        hc = self.health_check
        if hc is not None and hc.protocol != "command" and hc.port not in self.ports:
            raise ValueError(
                f"health_check.port: must be one of the app's ports {self.ports}, got {hc.port}"
            )
        return self

    @model_validator(mode="after")
    def _spread_by_spreads(self) -> AppSpec:
        if self.spread_by and self.placement != "spread":
            raise ValueError("spread_by: only with placement spread (binpack does not spread)")
        return self

    @model_validator(mode="after")
    def _arguments_with_an_entrypoint(self) -> AppSpec:
        if self.entrypoint and self.entrypoint != [""] and isinstance(self.cmd, str) and self.cmd:
            raise ValueError(
                "cmd: with an entrypoint, give cmd as a list (the entrypoint's arguments); a "
                "string would reach it as `sh -c STRING`"
            )
        return self

    @model_validator(mode="after")
    def _mount_points_differ(self) -> AppSpec:
        paths = [v.container_path.rstrip("/") for v in self.volumes]
        twice = sorted({p for p in paths if paths.count(p) > 1})
        if twice:
            raise ValueError(f"volumes: {twice[0]!r} is mounted twice")
        return self

    @property
    def has_named_volumes(self) -> bool:
        """Its instances are pinned to the agents that hold their volumes."""
        return any(v.name for v in self.volumes)

    def named_volumes(self, slot: int) -> tuple[NamedVolume, ...]:
        """The named volumes of instance `slot` (0 .. instances-1): named
        "<app>.<slot>.<name>" for the agent, which prefixes its framework's
        id, so that no two apps or instances share one."""
        return tuple(
            NamedVolume(f"{self.id}.{slot}.{v.name}", v.container_path, v.read_only)
            for v in self.volumes
            if v.name
        )

    def dependencies(self) -> list[str]:
        return sorted({*self.depends_on, *(link.split(":")[0] for link in self.links)})

    @property
    def version(self) -> str:
        """Changes whenever anything but `instances` or placement changes."""
        return self.digest(without=("instances", *_PLACEMENT_FIELDS), added=ADDED_FIELDS)

    def resources(self) -> Resources:
        return Resources(self.cpus, self.mem)

    def parsed_constraints(self) -> list[Constraint]:
        return [Constraint(c[0], c[1], c[2] if len(c) > 2 else "") for c in self.constraints]

    def check(self) -> HealthCheck | None:
        hc = self.health_check
        if hc is None:
            return None
        command = hc.command if isinstance(hc.command, list) else ("sh", "-c", hc.command)
        return HealthCheck(
            kind=hc.protocol,
            command=tuple(command) if hc.command else (),
            port=hc.port,
            path=hc.path,
            interval=hc.interval_seconds,
            timeout=hc.timeout_seconds,
            grace_period=hc.grace_period_seconds,
            max_consecutive_failures=hc.max_consecutive_failures,
            kill_when_unhealthy=True,  # as Marathon: an unhealthy instance is replaced
        )

    def task(self, task_id: str) -> TaskSpec:
        """A task for one instance (host ports still to be assigned by pack())."""
        task = make_task(
            task_id,
            self.image,
            self.cmd,
            cpus=self.cpus,
            mem=self.mem,
            env=self.env,
            ports=self.ports,
            health_check=self.check(),
            labels={**self.labels, "app": self.id},
            name=self.id,
            kill_grace_seconds=self.kill_grace_seconds,
        )
        udp = tuple(PortMapping(p, 0, "udp") for p in self.udp_ports)
        return replace(
            task,
            port_mappings=task.port_mappings + udp,
            working_dir=self.working_dir,
            user=self.user,
            privileged=self.privileged,
            network=self.network,
            entrypoint=tuple(self.entrypoint),
            stop_signal=self.stop_signal,
            stdin_open=self.stdin_open,
            tty=self.tty,
            volumes=tuple(
                Volume(v.host_path, v.container_path, v.read_only)
                for v in self.volumes
                if v.host_path
            ),
            # Instance 0's: the planner names those of the instance it launches.
            named_volumes=self.named_volumes(0),
            anonymous_volumes=tuple(
                AnonymousVolume(v.container_path, v.read_only)
                for v in self.volumes
                if not v.name and not v.host_path
            ),
        )


def check_dependencies(apps: dict[str, AppSpec]) -> None:
    """Every dependency exists, and none is circular. Raises SpecError."""
    graph = {app_id: app.dependencies() for app_id, app in apps.items()}
    problem = dependency_problem(graph, "app", "'depends_on'/'links'", "deployed")
    if problem:
        raise SpecError(problem)


def parse_app(raw: object, index: int = 0) -> AppSpec:
    """One app of a document, checked whole by the schema. Raises SpecError."""
    return validate_item(AppSpec, raw, "app", "id", index)


def largest_fit_problem(spec: AppSpec, largest: Resources | None) -> str | None:
    """Why an instance cannot fit in the largest offer seen, if it cannot."""
    if largest is None or largest.contains(spec.resources()):
        return None
    return f"needs {largest.shortfall(spec.resources())} in the largest offer seen"
