"""Docker Compose files as app specs: each service becomes an app.

Supported per service: image, command, entrypoint-free argv, environment,
ports (container ports; host ports come from offers), deploy.replicas,
depends_on and links (links also pass Docker's link variables). Keys that
change nothing here (restart, container_name, networks, version) are
ignored; any other is refused, naming it, rather than silently dropped.
"""

from __future__ import annotations

import shlex
from typing import Any, TypeGuard

from frameworks.checks import SpecError

_TOP_LEVEL_V1_IGNORED = {"version", "networks", "volumes"}
_SERVICE_KEYS = {"image", "command", "environment", "ports", "deploy", "depends_on", "links"}
_IGNORED = {"restart", "container_name", "networks", "hostname", "labels"}


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
    services = (
        doc["services"]
        if isinstance(doc.get("services"), dict)
        else {k: v for k, v in doc.items() if k not in _TOP_LEVEL_V1_IGNORED}
    )
    return [_service_to_app(name, service) for name, service in services.items()]


def _service_to_app(name: str, svc: dict[str, Any]) -> dict[str, Any]:
    where = f"services.{name}"
    if "build" in svc:
        raise SpecError(f"{where}.build is not supported: build the image and name it in image")
    unknown = sorted(set(svc) - _SERVICE_KEYS - _IGNORED)
    if unknown:
        raise SpecError(f"{where}.{unknown[0]} is not supported by offer-service")
    app: dict[str, Any] = {"id": name, "image": svc.get("image", ""), "mem": 64}
    command = svc.get("command")
    if isinstance(command, str):
        app["cmd"] = shlex.split(command)
    elif isinstance(command, list):
        app["cmd"] = [str(c) for c in command]
    app["env"] = _environment(svc.get("environment"), where)
    app["ports"] = [_container_port(p, where) for p in svc.get("ports", [])]
    replicas = (svc.get("deploy") or {}).get("replicas")
    if replicas is not None:
        app["instances"] = replicas
    depends = svc.get("depends_on", [])
    app["depends_on"] = list(depends) if isinstance(depends, list | dict) else depends
    app["links"] = list(svc.get("links", []))
    return app


def _environment(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        pairs = [str(item).partition("=") for item in raw]
        return {k: v for k, _, v in pairs}
    raise SpecError(f"{where}.environment must be a mapping or a list of NAME=value")


def _container_port(raw: object, where: str) -> int:
    """ "6379", 6379, "3000:3000" or "127.0.0.1:3000:3000" -> the container port.
    The host port is taken from an offer: agents offer their own port ranges."""
    text = str(raw)
    if "/" in text and not text.endswith("/tcp"):
        raise SpecError(f"{where}.ports: {text!r}: only TCP ports are supported")
    port = text.removesuffix("/tcp").rsplit(":", 1)[-1]
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise SpecError(f"{where}.ports: {text!r} is not a port or HOST:CONTAINER mapping")
    return int(port)
