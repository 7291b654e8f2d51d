"""Compose file-based `secrets` as read-only bind mounts. Pure: no I/O.

As `docker compose up` (not Swarm) does: a service's secret is the file
the top-level `secrets.NAME.file` names, mounted read-only at
`/run/secrets/<target or NAME>` (an absolute `target` as it is). The file
is a file of the agents' hosts, as a bind mount's folder is: the
`host_mounts` grant applies, and it must exist at that path on every agent
that may run the service (docs/compose.md, "Secrets"). offerctl resolves a
relative `file` against the Compose file's folder (compose_binds); one that
reaches offer-service relative is refused. What cannot be honoured is
refused by name, saying what to do instead.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

__all__ = ["SECRETS_FOLDER", "declared_secrets", "service_secrets"]

# Where Compose mounts a secret whose target is not an absolute path.
SECRETS_FOLDER = "/run/secrets"

_TOP_LEVEL_REFUSED = {
    "external": "a secret made outside the file (a Swarm secret) is not read: put its value "
    "in a file on every agent's host and give `file:` (an absolute path)",
    "environment": "a secret taken from offerctl's environment has no file on the agents: "
    "write the value to a file on every agent's host and give `file:`, or pass it to the "
    "service in `environment:` (NAME: ${VAR}) and read it from there",
    "driver": "secret drivers are Swarm's: give `file:`",
    "driver_opts": "secret drivers are Swarm's: give `file:`",
    "template_driver": "templated secrets are Swarm's: give `file:`",
}
# Compose's defaults: anything else would need a copy of the file the
# agent does not make (a bind mount keeps the host file's owner and mode).
_DEFAULT_OWNER = (None, "0")
_DEFAULT_MODES = (None, 0o444, "0444", "444")


def declared_secrets(top: Mapping[str, Any] | None) -> dict[str, str]:
    """The file of each of the file's top-level `secrets`, by name. Raises
    ValueError, naming the key, for what offer-service cannot honour: a
    secret that is not a file, and a relative path (which offerctl makes
    absolute before sending)."""
    files: dict[str, str] = {}
    for name, config in (top or {}).items():
        where = f"secrets.{name}"
        for key in config or {}:
            if key in _TOP_LEVEL_REFUSED:
                raise ValueError(f"{where}.{key}: not supported: {_TOP_LEVEL_REFUSED[key]}")
        path = (config or {}).get("file")
        if not isinstance(path, str) or not path:
            raise ValueError(f"{where}: give `file:`, the path of the file holding the secret")
        if not path.startswith("/"):
            raise ValueError(
                f"{where}.file: {path!r} is relative: the secret is a file of the agent's host, "
                "not of the machine offerctl runs on; `offerctl app deploy` resolves it against "
                "the Compose file's folder before sending the file, so deploy it through "
                "offerctl, or give an absolute path that exists on every agent that may run "
                "the service"
            )
        files[name] = path
    return files


def service_secrets(raw: list[Any], declared: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """A service's `secrets` (names, or `{source, target, uid, gid, mode}`)
    as read-only bind mount app volumes. `declared`: the top-level ones
    (None: a v1 file, which has none). Raises ValueError naming the entry."""
    volumes = []
    for index, entry in enumerate(raw):
        where = f"secrets[{index}]"
        if isinstance(entry, dict):
            for key in ("uid", "gid"):
                if entry.get(key) not in _DEFAULT_OWNER:
                    raise ValueError(f"{where}.{key}: {_NOT_DEFAULT}")
            if entry.get("mode") not in _DEFAULT_MODES:
                raise ValueError(f"{where}.mode: {_NOT_DEFAULT}")
            source, target = str(entry.get("source", "")), str(entry.get("target") or "")
        else:
            source, target = str(entry), ""
        if declared is None:
            raise ValueError(
                f"{where}: {source!r}: a Compose v1 file declares no secrets: put the services "
                "under `services:` and declare it in a top-level `secrets:` with `file:`"
            )
        if source not in declared:
            raise ValueError(
                f"{where}: secret {source!r} is not declared in the top-level secrets: add "
                f"`secrets: {{{source}: {{file: PATH}}}}` at the top of the file"
            )
        path = posixpath.normpath(posixpath.join(SECRETS_FOLDER, target or source))
        if path in ("/", SECRETS_FOLDER):
            raise ValueError(f"{where}.target: {target!r} names no file")
        volumes.append({"host_path": declared[source], "container_path": path, "read_only": True})
    return volumes


_NOT_DEFAULT = (
    "not supported other than the default (uid and gid 0, mode 0444): the secret is the host's "
    "file, mounted as it is (as `docker compose up` does); set its owner and mode on the hosts"
)
