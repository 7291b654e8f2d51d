"""Docker Compose files as app specs: each service becomes an app.

A Compose file is checked whole by its own schema (unknown keys refused at
every depth, naming their path from the top of the file), then each service
is turned into an app, which the app schema checks in turn. Keys that change
nothing here (restart, container_name, networks, hostname, labels; version,
networks and volumes at the top) are accepted and ignored.
"""

from __future__ import annotations

import re
import shlex
from typing import Annotated, Any, TypeGuard

from pydantic import Field, PlainValidator, WithJsonSchema, field_validator

from frameworks.checks import SpecError
from frameworks.schema import Command, SpecModel, validate
from frameworks.service.compose_validation import schema_problems

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


class ComposeService(SpecModel):
    """One service: becomes an app of the same name."""

    image: str = Field(min_length=1, description="The image (build is not supported).")
    command: Command | None = Field(
        default=None, description="The app's cmd: a string is split as a shell would."
    )
    environment: dict[str, str | int | float | bool | None] | list[str] | None = Field(
        default=None, description="A mapping, or a list of NAME=value."
    )
    ports: list[str | int] = Field(
        default=[],
        description="Container ports: 6379, '3000:3000' or '127.0.0.1:3000:3000'; the host "
        "port comes from an offer.",
        examples=[["3000:3000"]],
    )
    deploy: ComposeDeploy | None = Field(
        default=None, description="Replicas and resources; other keys are refused."
    )
    depends_on: list[str] | dict[str, Any] = Field(default=[], description="The app's depends_on.")
    links: list[str] = Field(default=[], description="The app's links (SERVICE[:ALIAS]).")
    build: Any = Field(default=None, description="Refused: build the image and name it in image.")
    restart: Any = Field(default=None, description="Ignored (offer-service always restarts).")
    container_name: Any = Field(default=None, description="Ignored.")
    networks: Any = Field(default=None, description="Ignored.")
    hostname: Any = Field(default=None, description="Ignored.")
    labels: Any = Field(default=None, description="Ignored.")

    @field_validator("build")
    @classmethod
    def _no_build(cls, value: object) -> object:
        if value is not None:
            raise ValueError("not supported: build the image and name it in image")
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
    networks: Any = Field(default=None, description="Ignored.")
    volumes: Any = Field(default=None, description="Ignored.")


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
        services = validate(ComposeFile, doc, "").services
    else:
        v1 = {k: v for k, v in doc.items() if k not in _TOP_LEVEL_V1_IGNORED}
        _check_schema(v1, v1=True)
        services = {name: validate(ComposeService, svc, name) for name, svc in v1.items()}
    return [_service_to_app(name, service) for name, service in services.items()]


def _without_extensions(doc: dict[str, Any]) -> dict[str, Any]:
    """Without Compose's `x-` keys: the file's own notes (and YAML anchors'
    sources), which change nothing."""
    return {k: v for k, v in doc.items() if not str(k).startswith("x-")}


def _check_schema(doc: dict[str, Any], *, v1: bool) -> None:
    problems = schema_problems(doc, v1=v1)
    if problems:
        raise SpecError("\n".join(problems))


def _service_to_app(name: str, svc: ComposeService) -> dict[str, Any]:
    app: dict[str, Any] = {"id": name, "image": svc.image, "mem": 64.0}
    if isinstance(svc.command, str):
        app["cmd"] = shlex.split(svc.command)
    elif svc.command is not None:
        app["cmd"] = svc.command
    app["env"] = _environment(svc.environment)
    app["ports"] = [_container_port(p) for p in svc.ports]
    deploy = svc.deploy or ComposeDeploy()
    if deploy.replicas is not None:
        app["instances"] = deploy.replicas
    resources = deploy.resources or ComposeResources()
    for given in (resources.reservations, resources.limits):  # limits win
        if given is not None and given.cpus is not None:
            app["cpus"] = given.cpus
        if given is not None and given.memory is not None:
            app["mem"] = given.memory
    app["depends_on"] = list(svc.depends_on)
    app["links"] = list(svc.links)
    return app


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


def _container_port(raw: object) -> int:
    """ "6379", 6379, "3000:3000" or "127.0.0.1:3000:3000" -> the container port.
    The host port is taken from an offer: agents offer their own port ranges."""
    text = str(raw)
    if "/" in text and not text.endswith("/tcp"):
        raise ValueError(f"{text!r}: only TCP ports are supported")
    port = text.removesuffix("/tcp").rsplit(":", 1)[-1]
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"{text!r} is not a port or HOST:CONTAINER mapping")
    return int(port)
