"""Compose `volumes` as app volumes. Pure: no I/O.

A service's named volume becomes a volume of each of its instances, kept on
the agent that first runs the instance (which is then pinned there); a bind
mount becomes a host mount (the `host_mounts` grant); an anonymous volume
(`/path` alone) one made for each container and removed with it, as Docker
does. What offer-service
cannot honour is refused by name, saying what to do instead
(docs/compose.md, "Volumes").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["declared_volumes", "service_volumes", "shared_volume_problem"]

# The engine's rule for the name (the agent's prefix and the app's id and
# instance go before it): spec.py's VOLUME_NAME.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")
_NAME_RULE = "1-48 letters, digits and '_.-', starting with a letter or digit"
# What a top-level volume may say: `driver: local` is the engine's own.
_TOP_LEVEL_REFUSED = {
    "name": "the agent names each instance's volume itself (offer-<framework>-<app>.<instance>."
    "<name>), so that no two apps share one by accident; drop `name`",
    "driver_opts": "a volume backed by other storage (NFS, a device) is not made by offer-service"
    ": mount that storage on the agents' hosts and bind it (an absolute path, with the "
    "host_mounts grant)",
    "external": "a volume made outside offer-service is not used: each instance's volume is made "
    "by its agent; to use data already on the hosts, bind its folder (an absolute path, with "
    "the host_mounts grant)",
    "labels": "the agent labels the volumes it makes (offer.volume, offer.framework_id); drop "
    "`labels`",
}
_TYPES_REFUSED = {
    "tmpfs": "a tmpfs mount is not supported: write to a folder of the container, or use a "
    "named volume",
    "npipe": "named pipes are Windows-only; agents run Linux containers",
    "cluster": "cluster volumes (Swarm CSI) are not supported: use a named volume (kept on the "
    "instance's agent) or bind a folder the hosts share",
    "image": "image mounts are not supported: copy the files into the service's image",
}
_OPTIONS_REFUSED = {
    "bind": "bind options (propagation, create_host_path, recursive, selinux) are not supported"
    ": drop `bind` (a missing host folder is created, as `docker run -v` does)",
    "volume": "volume options (nocopy, subpath) are not supported: drop `volume`",
    "tmpfs": "tmpfs options are for tmpfs mounts, which are not supported",
    "image": "image options are for image mounts, which are not supported",
    "consistency": "consistency is a Docker Desktop option with no effect on Linux: drop it",
}


def declared_volumes(top: Mapping[str, Any] | None) -> set[str]:
    """The names of the file's top-level `volumes`. Raises ValueError,
    naming the key, for what offer-service cannot honour."""
    for name, config in (top or {}).items():
        if not _NAME.match(name):
            raise ValueError(f"volumes.{name}: a volume name must be {_NAME_RULE}")
        for key, value in (config or {}).items():
            if str(key).startswith("x-"):
                continue
            if key == "driver" and value == "local":
                continue
            if key == "driver":
                raise ValueError(
                    f"volumes.{name}.driver: only the engine's own driver (local) is supported, "
                    f"not {value!r}: agents make each instance's volume on their own disk"
                )
            if key == "external" and value in (False, "false"):
                continue
            raise ValueError(f"volumes.{name}.{key}: not supported: {_TOP_LEVEL_REFUSED[key]}")
    return set(top or {})


def service_volumes(raw: list[Any], declared: set[str] | None) -> list[dict[str, Any]]:
    """A service's `volumes` (short or long syntax) as app volumes. Named
    volumes must be among `declared` (the top-level `volumes`; None: a v1
    file, which declares none). Raises ValueError naming the entry."""
    volumes = []
    for index, entry in enumerate(raw):
        try:
            volume = _long(entry) if isinstance(entry, dict) else _short(str(entry))
        except ValueError as err:
            raise ValueError(f"volumes[{index}]: {err}") from None
        name = volume.get("name")
        if name and declared is not None and name not in declared:
            raise ValueError(
                f"volumes[{index}]: named volume {name!r} is not declared in the top-level "
                f"volumes: add `volumes: {{{name}: {{}}}}` at the top of the file (as Compose "
                "requires)"
            )
        volumes.append(volume)
    return volumes


def shared_volume_problem(users: Mapping[str, list[str]]) -> str | None:
    """A named volume that several services mount: each app instance has
    volumes of its own (on its own agent), so services cannot share one.
    `users` maps a volume name to the services that mount it."""
    for name, services in sorted(users.items()):
        if len(services) > 1:
            return (
                f"volumes.{name}: mounted by services {', '.join(sorted(services))}: each "
                "instance has its own named volumes, on its own agent, so services cannot "
                "share one; give each service a volume of its own (or bind a folder the "
                "hosts share)"
            )
    return None


def _short(text: str) -> dict[str, Any]:
    """SOURCE:TARGET[:MODE], or TARGET alone (an anonymous volume)."""
    parts = text.split(":")
    if len(parts) == 1:
        return _volume("anonymous", "", text, False)
    if len(parts) > 3:
        raise ValueError(f"{text!r} is not SOURCE:TARGET or SOURCE:TARGET:MODE")
    source, target = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else "rw"
    modes = mode.split(",")
    unknown = [m for m in modes if m not in ("ro", "rw")]
    if unknown:
        raise ValueError(
            f"{text!r}: mode {unknown[0]!r} is not supported (only ro and rw): "
            "SELinux labels (z, Z), nocopy and consistency options are not applied"
        )
    kind = "bind" if source[:1] in ("/", ".", "~") else "volume"
    return _volume(kind, source, target, "ro" in modes)


def _long(entry: dict[str, Any]) -> dict[str, Any]:
    kind = entry.get("type")
    if kind in _TYPES_REFUSED:
        raise ValueError(f"type {kind}: {_TYPES_REFUSED[kind]}")
    for key in entry:
        if key in _OPTIONS_REFUSED:
            raise ValueError(f"{key}: {_OPTIONS_REFUSED[key]}")
    source = entry.get("source", "")
    if kind == "volume" and not source:
        kind = "anonymous"
    read_only = entry.get("read_only", False)
    if isinstance(read_only, str):
        read_only = read_only.lower() == "true"
    return _volume(str(kind), str(source), str(entry.get("target", "")), bool(read_only))


def _volume(kind: str, source: str, target: str, read_only: bool) -> dict[str, Any]:
    if not target.startswith("/") or target == "/":
        raise ValueError(f"target {target!r} is not an absolute path inside the container")
    if kind == "bind":
        if not source.startswith("/"):
            raise ValueError(
                f"bind mount source {source!r} is relative: a bind mount is a folder of the "
                "agent's host, not of the machine offerctl runs on; `offerctl app deploy` "
                "resolves it against the Compose file's folder (~: the home folder) before "
                "sending the file, so deploy it through offerctl, or give an absolute path "
                "that exists on every agent that may run the service, or use a named volume"
            )
        return {"host_path": source, "container_path": target, "read_only": read_only}
    if kind == "anonymous":
        return {"container_path": target, "read_only": read_only}
    if not _NAME.match(source):
        raise ValueError(f"volume name {source!r} is not {_NAME_RULE}")
    return {"name": source, "container_path": target, "read_only": read_only}
