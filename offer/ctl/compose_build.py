"""Compose `build:` in `offerctl app deploy`: each service that has one is
built with the Docker engine where offerctl runs (DOCKER_HOST, as the
docker CLI), tagged by its content, pushed to the cluster's registry, and
sent to offer-service as `image:` in its place. offer-service never sees
`build:` (it refuses one sent to its API straight).

This module is the pure part: which services build what, under which
name, and the document rewritten with the pushed names. The engine calls
and their progress are in image_builder. docs/compose-build.md is the
user's account of it.

Names: `REGISTRY/<project>-<service>:<image id>`; the tag is the hex of the
built image's id, so an unchanged build (every step cached) gives the same
name and offer-service sees no change, and a changed one gives a new name
that every agent pulls afresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "REGISTRY_ENV",
    "BuildError",
    "BuildSpec",
    "Planned",
    "build_plan",
    "placeholder",
    "project_name",
    "pushed_name",
    "rewritten",
    "services_of",
]

REGISTRY_ENV = "OFFER_REGISTRY"

# Compose build keys honoured here, and what each becomes (docker build's).
SUPPORTED_KEYS = ("context", "dockerfile", "args", "target", "labels", "no_cache", "pull")
# A repository path component, as the distribution spec allows it.
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_REGISTRY = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$")


class BuildError(ValueError):
    """What is wrong with a service's build, or with where it goes; the
    message names the key (`services.web.build.ssh: ...`) and what to do."""


@dataclass(frozen=True)
class BuildSpec:
    """A service's `build:`, as docker build takes it."""

    context: Path
    dockerfile: str = "Dockerfile"
    args: dict[str, str] = field(default_factory=dict)
    target: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False


@dataclass(frozen=True)
class Planned:
    """A service to build: what, and the repository (REGISTRY/path, no tag)
    it is pushed to; `image` is the service's own `image:`, which the
    build is tagged as too (Compose's rule), or ""."""

    service: str
    spec: BuildSpec
    repository: str
    image: str = ""


def services_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The services of a Compose document: under `services:`, or its top
    level (Compose v1)."""
    services = doc.get("services")
    return services if isinstance(services, dict) else doc


def _where(doc: dict[str, Any], service: str) -> str:
    return (
        f"services.{service}.build" if isinstance(doc.get("services"), dict) else f"{service}.build"
    )


def build_plan(
    doc: dict[str, Any], folder: Path, registry: str, environ: dict[str, str], project: str
) -> list[Planned]:
    """The services of `doc` that have `build:`, in file order. `folder` is
    where relative contexts start (the Compose file's folder); `registry`
    is HOST:PORT from --registry or OFFER_REGISTRY ("": none given).
    Raises BuildError naming the first problem."""
    planned = []
    for name, service in services_of(doc).items():
        if not isinstance(service, dict) or service.get("build") is None:
            continue
        where = _where(doc, name)
        spec = parse_build(service["build"], folder, environ, where)
        image = service.get("image")
        image = image if isinstance(image, str) and image.strip() else ""
        repository = _repository(name, image, registry, project, where)
        planned.append(Planned(str(name), spec, repository, image))
    return planned


def parse_build(raw: object, folder: Path, environ: dict[str, str], where: str) -> BuildSpec:
    """A `build:` value: a context folder, or a mapping of SUPPORTED_KEYS.
    Keys docker build cannot be given by offerctl (ssh, secrets, cache_to,
    platforms, additional_contexts, ...) are refused by name."""
    if isinstance(raw, str):
        return BuildSpec(_context(raw, folder, f"{where}"))
    if not isinstance(raw, dict):
        raise BuildError(f"{where}: a context folder or a mapping (context, dockerfile, ...)")
    unknown = [str(k) for k in raw if k not in SUPPORTED_KEYS and not str(k).startswith("x-")]
    if unknown:
        raise BuildError(
            f"{where}.{unknown[0]}: not supported by offerctl's build (supported: "
            f"{', '.join(SUPPORTED_KEYS)}); build the image yourself, push it and give image:"
        )
    context = _context(str(raw.get("context", ".")), folder, f"{where}.context")
    dockerfile = str(raw.get("dockerfile") or "Dockerfile")
    if not (context / dockerfile).is_file():
        raise BuildError(f"{where}.dockerfile: no file {context / dockerfile}")
    target = raw.get("target") or ""
    return BuildSpec(
        context=context,
        dockerfile=dockerfile,
        args=_pairs(raw.get("args"), environ, f"{where}.args"),
        target=str(target),
        labels=_pairs(raw.get("labels"), {}, f"{where}.labels"),
        no_cache=_flag(raw.get("no_cache", False), f"{where}.no_cache"),
        pull=_flag(raw.get("pull", False), f"{where}.pull"),
    )


def _context(given: str, folder: Path, where: str) -> Path:
    if "://" in given or given.startswith("git@"):
        raise BuildError(
            f"{where}: {given}: only a local folder can be built (clone it and give its path)"
        )
    path = (folder / given).resolve()
    if not path.is_dir():
        raise BuildError(f"{where}: {given}: no such folder (relative to {folder})")
    return path


def _pairs(raw: object, environ: dict[str, str], where: str) -> dict[str, str]:
    """A mapping or a list of NAME=value; a NAME without a value takes the
    environment's (Compose's rule for args), or is left out if unset."""
    if raw is None:
        return {}
    if isinstance(raw, list):
        entries = [str(item).partition("=") for item in raw]
        raw = {name: (value if sep else None) for name, sep, value in entries}
    if not isinstance(raw, dict):
        raise BuildError(f"{where}: a mapping or a list of NAME=value")
    pairs = {}
    for name, value in raw.items():
        if value is None:
            if str(name) in environ:
                pairs[str(name)] = environ[str(name)]
            continue
        pairs[str(name)] = str(value).lower() if isinstance(value, bool) else str(value)
    return pairs


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise BuildError(f"{where}: true or false")
    return value


def project_name(file: str, environ: dict[str, str], declared: object = None) -> str:
    """Compose's project name, in its order: COMPOSE_PROJECT_NAME, else
    the file's top-level `name:` (`declared`), else the name of the file's
    folder (stdin: the working directory's); lowercased, with only a-z,
    0-9, '_' and '-' kept."""
    given = (
        environ.get("COMPOSE_PROJECT_NAME")
        or (declared if isinstance(declared, str) else "")
        or (Path.cwd() if file == "-" else Path(file).resolve().parent).name
    )
    name = re.sub(r"[^a-z0-9_-]", "", given.lower()).strip("_-")
    return name or "default"


def _repository(service: str, image: str, registry: str, project: str, where: str) -> str:
    if image:
        host, path = split_image(image)
        if host:
            return f"{host}/{path}"  # the file names its registry: it wins
    else:
        path = f"{project}-{service.lower()}".strip("._-")
    if not registry:
        raise BuildError(
            f"{where}: offerctl builds it, and needs a registry every agent pulls from: give "
            f"--registry HOST:PORT or set {REGISTRY_ENV} (docs/compose-build.md)"
        )
    check_registry(registry)
    if not all(_COMPONENT.match(part) for part in path.split("/")):
        raise BuildError(
            f"{where}: {path!r} is not a valid repository name (lowercase letters, digits, "
            "and . _ - between them): rename the service, or give image: with a valid name"
        )
    return f"{registry}/{path}"


def check_registry(registry: str) -> None:
    """HOST or HOST:PORT, as docker push takes it; BuildError otherwise."""
    if not _REGISTRY.match(registry):
        raise BuildError(
            f"registry {registry!r}: give HOST:PORT (e.g. 10.0.0.5:5000), with no scheme or path"
        )


def split_image(image: str) -> tuple[str, str]:
    """(registry host or "", repository path) of an image name, without its
    tag or digest, as docker reads it: the first part names a registry if
    it has a '.' or a ':', or is localhost."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "", name


def pushed_name(planned: Planned, image_id: str) -> str:
    """REPOSITORY:TAG the build of `planned` is pushed as: the tag is the
    hex of its image id (`sha256:...`)."""
    return f"{planned.repository}:{image_id.split(':', 1)[-1]}"


def placeholder(planned: Planned) -> str:
    """The image --dry-run shows in place of a build it does not make."""
    return f"{planned.repository}:<image id of the build of {planned.spec.context.name}/>"


def rewritten(doc: dict[str, Any], images: dict[str, str]) -> dict[str, Any]:
    """`doc` with each service named in `images` given that image in place
    of its build (offer-service takes image names only)."""
    services = services_of(doc)
    for name, image in images.items():
        service = dict(services[name])
        service.pop("build", None)
        service["image"] = image
        services[name] = service
    return doc
