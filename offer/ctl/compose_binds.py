"""Relative bind mount sources of a Compose file made absolute, as
`docker stack deploy` does: `./app` and `../x` against the Compose file's
folder, `~` and `~/x` against the home of the user running offerctl; the
top-level secrets' `file`s too (mounted as bind mounts, as `docker compose
up` does: frameworks/service/compose_secrets.py).
offerctl does it because it knows where the file is; offer-service refuses
a relative source that reaches it any other way. The resolved path is a
folder of the agents' hosts: it must exist on every agent that may run the
service (docs/compose.md, "Volumes"). Pure: no I/O."""

from __future__ import annotations

import copy
import posixpath
from typing import Any

__all__ = ["resolve_bind_sources"]


def resolve_bind_sources(doc: dict[str, Any], folder: str, home: str) -> dict[str, Any]:
    """A copy of the Compose document `doc` whose services' relative bind
    sources (short syntax `./x:/y`, long syntax `type: bind`) are absolute:
    against `folder` (the Compose file's, absolute) or `home` for `~`.
    The top-level secrets' relative `file`s likewise. Named volumes,
    absolute paths and what is not a volume list are left as they are, for
    the checks that follow. Raises ValueError, naming the entry, for a
    `~user` path and for a resolved path holding ':'."""
    done = copy.deepcopy(doc)
    v2 = isinstance(done.get("services"), dict)
    if v2 and isinstance(done.get("secrets"), dict):
        for name, secret in done["secrets"].items():
            given = secret.get("file") if isinstance(secret, dict) else None
            if isinstance(given, str) and given and not given.startswith("/"):
                secret["file"] = _absolute(given, folder, home, f"secrets.{name}.file")
    services = done["services"] if v2 else done
    for name, service in services.items():
        if not isinstance(service, dict) or not isinstance(service.get("volumes"), list):
            continue
        if not v2 and name == "volumes":
            continue  # a v1 file's top-level volumes: not a service
        where = f"services.{name}" if v2 else name
        service["volumes"] = [
            _entry(entry, folder, home, f"{where}.volumes[{index}]")
            for index, entry in enumerate(service["volumes"])
        ]
    return done


def _entry(entry: object, folder: str, home: str, where: str) -> object:
    if isinstance(entry, str):
        source, colon, rest = entry.partition(":")
        # Compose's rule: a short source is a path when it starts with one of these.
        if not colon or not source.startswith((".", "~")):
            return entry
        resolved = _absolute(source, folder, home, where)
        if ":" in resolved:
            raise ValueError(
                f"{where}: {source!r} resolves to {resolved!r}, whose ':' the short syntax "
                "cannot carry: use the long syntax (type: bind, source, target)"
            )
        return f"{resolved}:{rest}"
    if isinstance(entry, dict) and entry.get("type") == "bind":
        given = entry.get("source")
        if isinstance(given, str) and given and not given.startswith("/"):
            return {**entry, "source": _absolute(given, folder, home, f"{where}.source")}
    return entry


def _absolute(source: str, folder: str, home: str, where: str) -> str:
    if source.startswith("~"):
        user, _, rest = source[1:].partition("/")
        if user:
            raise ValueError(
                f"{where}: {source!r}: only ~ (the home of the user running offerctl) is "
                f"expanded, not ~{user}: give an absolute path"
            )
        return posixpath.normpath(posixpath.join(home, rest))
    return posixpath.normpath(posixpath.join(folder, source))
