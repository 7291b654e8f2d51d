"""Docker Compose files as app specs: each service becomes an app.

A Compose file is checked whole by its own schema (unknown keys refused at
every depth, naming their path from the top of the file), then each service
is turned into an app, which the app schema checks in turn. Keys that change
nothing here (restart, container_name, networks, hostname; version and
networks at the top) are accepted and ignored; volumes are mapped by
compose_volumes.py.
"""

from __future__ import annotations

import re
import shlex
from typing import Annotated, Any, TypeGuard

from pydantic import Field, PlainValidator, WithJsonSchema, field_validator

from frameworks.checks import SpecError
from frameworks.schema import Command, SpecModel, validate
from frameworks.service.compose_keys import (
    ComposeHealthcheck,
    ComposePlacement,
    ComposeUpdateConfig,
    constraint,
    health_check,
    rolling_rules,
    seconds,
)
from frameworks.service.compose_secrets import declared_secrets, service_secrets
from frameworks.service.compose_validation import schema_problems
from frameworks.service.compose_volumes import (
    declared_volumes,
    service_volumes,
    shared_volume_problem,
)

_TOP_LEVEL_V1_IGNORED = {"version", "networks", "volumes"}
_MIB = {"": 1 / 2**20, "b": 1 / 2**20, "k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0**2}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$", re.IGNORECASE)


def _mebibytes(value: object) -> float:
    """Compose's memory: bytes as a number, or "512M", "1g", "1.5GB"."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value / 2**20
    match = _SIZE.match(value.strip()) if isinstance(value, str) else None
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"not a memory size such as '512M' or '1g': {value!r}")
    return float(match[1]) * _MIB[match[2].lower()]


def _cpus(value: object) -> float:
    """Compose's cpus: a number or a string of one ("0.5")."""
    try:
        cpus = float(value) if isinstance(value, str | int | float) else 0.0
    except ValueError:
        cpus = 0.0
    if isinstance(value, bool) or not cpus > 0:
        raise ValueError(f"not a number of CPU cores > 0 such as '0.5': {value!r}")
    return cpus


Memory = Annotated[
    float,
    PlainValidator(_mebibytes),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
]
CpuCount = Annotated[
    float,
    PlainValidator(_cpus),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}]}),
]


class ComposeAmounts(SpecModel):
    """Resources of one container of the service."""

    cpus: CpuCount | None = Field(
        default=None, description="CPU cores, e.g. '0.5'; the app's cpus.", examples=["0.5"]
    )
    memory: Memory | None = Field(
        default=None,
        description="Memory, e.g. '512M' or '1g' (a number: bytes); the app's mem in MiB.",
        examples=["512M"],
    )


class ComposeResources(SpecModel):
    limits: ComposeAmounts | None = Field(
        default=None, description="Each instance's cpus and mem (as offer-service gives both)."
    )
    reservations: ComposeAmounts | None = Field(
        default=None, description="Used for what `limits` does not give."
    )


class ComposeDeploy(SpecModel):
    replicas: int | None = Field(default=None, ge=0, description="The app's instances.")
    resources: ComposeResources | None = Field(
        default=None, description="What each instance is given."
    )
    placement: ComposePlacement | None = Field(
        default=None, description="Its constraints become the app's constraints."
    )
    update_config: ComposeUpdateConfig | None = Field(
        default=None,
        description="parallelism and order become the app's minimum_health_capacity and "
        "maximum_over_capacity (docs/compose.md).",
    )


class ComposeService(SpecModel):
    """One service: becomes an app of the same name."""

    image: str = Field(
        min_length=1,
        description="The image (offerctl app deploy puts the one it built and pushed for build).",
    )
    command: Command | None = Field(
        default=None, description="The app's cmd: a string is split as a shell would."
    )
    environment: dict[str, str | int | float | bool | None] | list[str] | None = Field(
        default=None, description="A mapping, or a list of NAME=value."
    )
    env_file: Any = Field(
        default=None,
        description="Read by offerctl, beside the Compose file, into environment (which wins).",
    )
    ports: list[str | int] = Field(
        default=[],
        description="Container ports: 6379, '3000:3000', '127.0.0.1:3000:3000' or "
        "'53/udp'; the host port comes from an offer.",
        examples=[["3000:3000"]],
    )
    expose: list[str | int] = Field(
        default=[], description="Informational: ports reached only from other containers."
    )
    healthcheck: ComposeHealthcheck | None = Field(
        default=None, description="The app's health_check (a command in the container)."
    )
    working_dir: str | None = Field(default=None, description="The app's working_dir.")
    user: str | None = Field(default=None, description="The app's user.")
    stop_signal: str | None = Field(
        default=None, description="The app's stop_signal: what a kill sends first, e.g. SIGINT."
    )
    stdin_open: bool | str | None = Field(
        default=None, description="The app's stdin_open (true, or 'true'): stdin kept open."
    )
    tty: bool | str | None = Field(
        default=None,
        description="The app's tty (true, or 'true'): a pseudo-terminal; stderr joins stdout.",
    )
    stop_grace_period: str | None = Field(
        default=None,
        description="The app's kill_grace_seconds: a duration such as '30s' or '1m30s'.",
        examples=["30s"],
    )
    labels: dict[str, str | int | float | bool | None] | list[str] | None = Field(
        default=None, description="The app's labels (a mapping, or a list of NAME=value)."
    )
    privileged: bool | None = Field(
        default=None, description="The app's privileged (needs the `privileged` grant)."
    )
    cap_add: list[str] = Field(
        default=[],
        description="Asks for privileged mode, which holds every capability (needs the "
        "`privileged` grant).",
    )
    network_mode: str | None = Field(
        default=None, description="host only: the app's network (needs `host_network`)."
    )
    entrypoint: Command | None = Field(
        default=None,
        description="The app's entrypoint: a string is split as a shell would; [] or '' "
        "runs no entrypoint (the command as it is).",
    )
    deploy: ComposeDeploy | None = Field(
        default=None,
        description="Replicas, resources, placement constraints and update_config; other "
        "keys are refused.",
    )
    depends_on: list[str] | dict[str, Any] = Field(default=[], description="The app's depends_on.")
    links: list[str] = Field(default=[], description="The app's links (SERVICE[:ALIAS]).")
    volumes: list[str | dict[str, Any]] = Field(
        default=[],
        description="The app's volumes: NAME:/path (a named volume, declared at the top; each "
        "instance has its own, kept on the agent that first runs it), /host/path:/path (a "
        "bind mount: the host_mounts grant; offerctl app deploy makes ./path and ~/path "
        "absolute, beside the file, and that path must exist on the agents), ':ro' for "
        "read-only; or the long syntax with type volume or bind, source, target and read_only.",
        examples=[["data:/var/lib/data", "/srv/config:/config:ro"]],
    )
    secrets: list[str | dict[str, Any]] = Field(
        default=[],
        description="Secrets declared at the top (with file:), each mounted read-only at "
        "/run/secrets/NAME (or the long syntax's target) as a bind mount of its file: the "
        "host_mounts grant, and the file must exist at that path on every agent that may run "
        "the service.",
        examples=[["db-password"]],
    )
    build: Any = Field(
        default=None,
        description="Refused here: offerctl app deploy builds and pushes it, and sends image "
        "instead (docs/compose-build.md).",
    )
    restart: Any = Field(default=None, description="Ignored (offer-service always restarts).")
    container_name: Any = Field(default=None, description="Ignored.")
    networks: Any = Field(default=None, description="Ignored.")
    hostname: Any = Field(default=None, description="Ignored.")

    @field_validator("build")
    @classmethod
    def _no_build(cls, value: object) -> object:
        if value is not None:
            raise ValueError(
                "not supported: build the image and push it yourself, then give image: "
                "(`offerctl app deploy` builds and pushes it for you)"
            )
        return value

    @field_validator("env_file")
    @classmethod
    def _env_file_read_by_offerctl(cls, value: object) -> object:
        if value is not None:
            raise ValueError(
                "read by offerctl (`offerctl app deploy`), which has the file: send the file "
                "through it"
            )
        return value

    @field_validator("network_mode")
    @classmethod
    def _host_or_nothing(cls, value: str | None) -> str | None:
        if value not in (None, "host", "bridge", "default"):
            raise ValueError(f"only host (or bridge, the default) is supported: {value!r}")
        return value

    @field_validator("ports")
    @classmethod
    def _container_ports(cls, value: list[str | int]) -> list[str | int]:
        for raw in value:
            _container_port(raw)
        return value


class ComposeFile(SpecModel):
    """A Compose file (v2/v3): each service becomes an app."""

    services: dict[str, ComposeService] = Field(description="The services, by name.")
    version: str | None = Field(default=None, description="Ignored.")
    name: str | None = Field(
        default=None,
        description="The project name: ignored here (offerctl names the images it builds "
        "after it, docs/compose-build.md).",
    )
    networks: Any = Field(default=None, description="Ignored.")
    volumes: dict[str, dict[str, Any] | None] | None = Field(
        default=None,
        description="The named volumes the services use (`driver: local` at most: no other "
        "driver, driver_opts, external, name or labels).",
    )
    secrets: dict[str, dict[str, Any] | None] | None = Field(
        default=None,
        description="The secrets the services use: `file:` only, an absolute path on the "
        "agents' hosts (offerctl app deploy resolves a relative one beside the Compose file).",
    )


def is_compose(doc: object) -> TypeGuard[dict[str, Any]]:
    """A `services:` mapping (Compose v2/v3), or v1's top level of services,
    each a mapping with an image or a build."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("services"), dict):
        return True
    services = {k: v for k, v in doc.items() if k not in _TOP_LEVEL_V1_IGNORED}
    return bool(services) and all(
        isinstance(v, dict) and ("image" in v or "build" in v) and "id" not in v
        for v in services.values()
    )


def compose_to_apps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The apps of a Compose file, as app documents. Raises SpecError,
    naming the path from the top of the file: first what the official
    Compose schema refuses, then what offer-service cannot honour."""
    if isinstance(doc.get("services"), dict):
        _check_schema(doc, v1=False)
        doc = _without_extensions(doc)
        doc["services"] = {
            name: _without_extensions(svc) if isinstance(svc, dict) else svc
            for name, svc in doc["services"].items()
        }
        compose = validate(ComposeFile, doc, "")
        services = compose.services
        try:
            declared: set[str] | None = declared_volumes(compose.volumes)
            secrets: dict[str, str] | None = declared_secrets(compose.secrets)
        except ValueError as err:
            raise SpecError(str(err)) from None
    else:
        v1 = {k: v for k, v in doc.items() if k not in _TOP_LEVEL_V1_IGNORED}
        _check_schema(v1, v1=True)
        services = {name: validate(ComposeService, svc, name) for name, svc in v1.items()}
        declared = secrets = None  # v1 files declare no volumes or secrets
    apps = []
    for name, service in services.items():
        try:
            apps.append(_service_to_app(name, service, declared, secrets))
        except ValueError as err:
            where = f"services.{name}." if isinstance(doc.get("services"), dict) else f"{name}: "
            raise SpecError(f"{where}{err}") from None
    users: dict[str, list[str]] = {}
    for app in apps:
        for volume in app["volumes"]:
            if volume.get("name"):
                users.setdefault(volume["name"], []).append(app["id"])
    shared = shared_volume_problem(users)
    if shared:
        raise SpecError(shared)
    return apps


def _without_extensions(doc: dict[str, Any]) -> dict[str, Any]:
    """Without Compose's `x-` keys: the file's own notes (and YAML anchors'
    sources), which change nothing."""
    return {k: v for k, v in doc.items() if not str(k).startswith("x-")}


def _check_schema(doc: dict[str, Any], *, v1: bool) -> None:
    problems = schema_problems(doc, v1=v1)
    if problems:
        raise SpecError("\n".join(problems))


def _service_to_app(
    name: str, svc: ComposeService, declared: set[str] | None, secrets: dict[str, str] | None
) -> dict[str, Any]:
    app: dict[str, Any] = {"id": name, "image": svc.image, "mem": 64.0}
    if isinstance(svc.command, str):
        app["cmd"] = shlex.split(svc.command)
    elif svc.command is not None:
        app["cmd"] = svc.command
    if svc.entrypoint is not None:
        entrypoint = (
            shlex.split(svc.entrypoint) if isinstance(svc.entrypoint, str) else svc.entrypoint
        )
        # Compose: an empty one overrides the image's with none at all.
        app["entrypoint"] = entrypoint or [""]
    app["env"] = _environment(svc.environment)
    ports = [_container_port(p) for p in svc.ports]
    app["ports"] = [port for port, protocol in ports if protocol == "tcp"]
    app["udp_ports"] = [port for port, protocol in ports if protocol == "udp"]
    deploy = svc.deploy or ComposeDeploy()
    if deploy.replicas is not None:
        app["instances"] = deploy.replicas
    resources = deploy.resources or ComposeResources()
    for given in (resources.reservations, resources.limits):  # limits win
        if given is not None and given.cpus is not None:
            app["cpus"] = given.cpus
        if given is not None and given.memory is not None:
            app["mem"] = given.memory
    app["volumes"] = service_volumes(svc.volumes, declared) + service_secrets(svc.secrets, secrets)
    _map_keys(app, svc, deploy)
    app["depends_on"] = list(svc.depends_on)
    app["links"] = list(svc.links)
    return app


def _map_keys(app: dict[str, Any], svc: ComposeService, deploy: ComposeDeploy) -> None:
    """The keys with an app field of their own; a ValueError names the key."""
    if svc.healthcheck is not None:
        app["health_check"] = _at("healthcheck", health_check, svc.healthcheck)
    if deploy.placement is not None:
        app["constraints"] = [
            _at(f"deploy.placement.constraints[{i}]", constraint, c)
            for i, c in enumerate(deploy.placement.constraints)
        ]
    if deploy.update_config is not None:
        if deploy.update_config.order == "start-first" and any(
            v.get("name") for v in app["volumes"]
        ):
            raise ValueError(
                "deploy.update_config.order: start-first would run a second container on each "
                "instance's named volumes; use stop-first (the default) with named volumes"
            )
        rules = _at(
            "deploy.update_config", rolling_rules, deploy.update_config, app.get("instances", 1)
        )
        app.update(rules)
    for key in ("working_dir", "user", "stop_signal"):
        if getattr(svc, key):
            app[key] = getattr(svc, key)
    if svc.stop_grace_period is not None:
        app["kill_grace_seconds"] = _at("stop_grace_period", seconds, svc.stop_grace_period)
    app["labels"] = _environment(svc.labels)
    for key in ("stdin_open", "tty"):
        given = getattr(svc, key)
        if given is not None:
            app[key] = _at(key, _flag, given)
    # Every capability is in privileged mode: asking for some asks for it.
    if svc.privileged or svc.cap_add:
        app["privileged"] = True
    if svc.network_mode == "host":
        app["network"] = "host"


def _at(key: str, mapping: Any, *given: Any) -> Any:
    try:
        return mapping(*given)
    except ValueError as err:
        raise ValueError(f"{key}: {err}") from None


def _flag(value: bool | str) -> bool:
    """A Compose boolean: true/false, or (as the schema allows) a string of one."""
    if isinstance(value, bool):
        return value
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"not true or false: {value!r}")


def _environment(raw: dict[str, Any] | list[str] | None) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {k: "" if v is None else _text(v) for k, v in raw.items()}
    pairs = [item.partition("=") for item in raw]
    return {k: v for k, _, v in pairs}


def _text(value: object) -> str:
    """Compose's environment values as the container sees them (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _container_port(raw: object) -> tuple[int, str]:
    """ "6379", 6379, "3000:3000", "127.0.0.1:3000:3000" or "53/udp" -> the
    container port and its protocol. The host port is taken from an offer:
    agents offer their own port ranges."""
    text = str(raw)
    port, _, protocol = text.partition("/")
    protocol = protocol or "tcp"
    if protocol not in ("tcp", "udp"):
        raise ValueError(f"{text!r}: only tcp and udp ports are supported")
    port = port.rsplit(":", 1)[-1]
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"{text!r} is not a port or HOST:CONTAINER mapping")
    return int(port), protocol
