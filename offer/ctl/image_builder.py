"""Builds and pushes the images of a Compose file's `build:` services with
the Docker engine where offerctl runs (docker.from_env: DOCKER_HOST and
DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as the docker CLI reads them), and
shows their progress on stderr (stdout keeps what `app deploy` prints).

Guarantees: nothing is deployed unless every build and push succeeded (the
caller sends the document only after `built_document` returns); a failed
build raises ImageError with the builder's error and the output of the
step that failed; nothing is built or pushed in a dry run.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import requests
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn

from offer.ctl.compose_build import (
    Planned,
    build_plan,
    placeholder,
    project_name,
    pushed_name,
    rewritten,
)
from offer.ctl.compose_document import compose_document

__all__ = ["ImageError", "built_document"]

# Each engine call but the build stream itself (which lasts as long as the
# build, with no output during a long step).
ENGINE_TIMEOUT = 120
# Output lines of the failing step shown with its error.
FAILED_STEP_LINES = 40
# The classic builder's own lines within a step's output, and the colour
# codes it puts around what a step wrote to stderr.
_BUILDER_NOTES = (" ---> ", "Removing intermediate container ", "Successfully ")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ImageError(Exception):
    """A build or push failed, or the engine cannot be reached: the message
    says which and what to do; `output` is the failing step's output."""

    def __init__(self, message: str, output: list[str] | None = None) -> None:
        super().__init__(message)
        self.output = output or []


def built_document(
    text: str, file: str, registry: str, environ: dict[str, str], *, dry_run: bool = False
) -> str:
    """`text` (an interpolated deploy document) with each Compose service's
    `build:` built, pushed and replaced by `image:` naming the pushed image;
    other documents are returned as they are. In a dry run nothing is
    built: the image is a placeholder saying so. Raises BuildError (a bad
    build: key, no registry) or ImageError (the engine said no)."""
    doc = compose_document(text)
    if doc is None:
        return text
    folder = Path.cwd() if file == "-" else Path(file).resolve().parent
    plan = build_plan(doc, folder, registry, environ, project_name(file, environ, doc.get("name")))
    if not plan:
        return text
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if dry_run:
        for p in plan:
            console.print(f"{p.service}: would build {_what(p)} and push it to {p.repository}")
        images = {p.service: placeholder(p) for p in plan}
    else:
        with _engine() as client:
            images = {p.service: _build_and_push(client.api, p, console) for p in plan}
    dumped: str = yaml.safe_dump(rewritten(doc, images), sort_keys=False, allow_unicode=True)
    return dumped


def _what(p: Planned) -> str:
    target = f", target {p.spec.target}" if p.spec.target else ""
    return f"{p.spec.context} ({p.spec.dockerfile}{target})"


@contextlib.contextmanager
def _engine() -> Iterator[docker.DockerClient]:
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=ENGINE_TIMEOUT)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as err:
        raise ImageError(
            f"cannot reach the Docker engine at {where} ({err}): building a service needs "
            "one where offerctl runs (set DOCKER_HOST to use another)"
        ) from None
    try:
        yield client
    finally:
        client.close()


def _build_and_push(api: Any, p: Planned, console: Console) -> str:
    """Builds `p`, tags it as its pushed name (and its own image:, if any),
    pushes it, and returns the pushed name."""
    console.print(f"[bold]{p.service}[/]: building {escape(_what(p))}")
    image_id = _build(api, p, console)
    name = pushed_name(p, image_id)
    repository, _, tag = name.rpartition(":")
    try:
        api.tag(image_id, repository, tag, force=True)
        if p.image:
            own, own_tag = docker.utils.parse_repository_tag(p.image.split("@", 1)[0])
            api.tag(image_id, own, own_tag or "latest", force=True)
    except docker.errors.APIError as err:
        raise ImageError(
            f"service {p.service}: tagging the built image failed: {_explained(err)}"
        ) from None
    console.print(f"[bold]{p.service}[/]: built {image_id}; pushing {escape(name)}")
    _push(api, repository, tag, p.service, console)
    console.print(f"[bold]{p.service}[/]: pushed {escape(name)}")
    return name


def _build(api: Any, p: Planned, console: Console) -> str:
    """The built image's id; ImageError with the failing step's output."""
    spec = p.spec
    step_output: list[str] = []
    image_id = ""
    try:
        stream = api.build(
            path=str(spec.context),
            dockerfile=spec.dockerfile,
            buildargs=spec.args or None,
            target=spec.target or None,
            labels=spec.labels or None,
            nocache=spec.no_cache,
            pull=spec.pull,
            rm=True,
            forcerm=True,
            decode=True,
        )
        with console.status("", spinner="dots") as status:
            for line in stream:
                if "error" in line or "errorDetail" in line:
                    message = (line.get("errorDetail") or {}).get("message") or line.get("error")
                    raise ImageError(
                        f"service {p.service}: the build failed: {message}",
                        step_output[-FAILED_STEP_LINES:],
                    )
                image_id = (line.get("aux") or {}).get("ID", image_id)
                for text in _ANSI.sub("", str(line.get("stream", ""))).splitlines():
                    if text.startswith("Step "):
                        step_output = []
                        console.print(f"  {p.service} | {escape(text)}", style="dim")
                    elif text.strip() and not text.startswith(_BUILDER_NOTES):
                        step_output.append(text)
                        status.update(f"  {p.service} | {escape(text[:100])}")
                    if text.startswith("Successfully built ") and not image_id:
                        image_id = str(api.inspect_image(text.split()[-1])["Id"])
    except docker.errors.APIError as err:
        raise ImageError(f"service {p.service}: the build failed: {_explained(err)}") from None
    except requests.exceptions.RequestException as err:
        raise ImageError(
            f"service {p.service}: the engine stopped answering mid-build: {err}"
        ) from None
    if not image_id:
        raise ImageError(f"service {p.service}: the engine's build ended without an image id")
    return image_id


def _push(api: Any, repository: str, tag: str, service: str, console: Console) -> None:
    """Pushes, with a bar per layer on a terminal; ImageError saying why not."""
    progress = Progress(
        TextColumn("  {task.description}"),
        BarColumn(),
        DownloadColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    layers: dict[str, TaskID] = {}
    try:
        with progress:
            for line in api.push(repository, tag, stream=True, decode=True):
                if "error" in line or "errorDetail" in line:
                    message = (line.get("errorDetail") or {}).get("message") or line.get("error")
                    raise ImageError(_push_problem(service, repository, str(message)))
                layer = line.get("id")
                if not layer or "status" not in line:
                    continue
                detail = line.get("progressDetail") or {}
                if layer not in layers:
                    layers[layer] = progress.add_task(f"{service} {layer}", total=None)
                progress.update(
                    layers[layer],
                    description=f"{service} {layer} {line['status']}",
                    completed=detail.get("current", 0),
                    total=detail.get("total"),
                )
    except docker.errors.APIError as err:
        raise ImageError(_push_problem(service, repository, _explained(err))) from None
    except requests.exceptions.RequestException as err:
        raise ImageError(
            f"service {service}: the engine stopped answering mid-push: {err}"
        ) from None


def _push_problem(service: str, repository: str, message: str) -> str:
    registry = repository.split("/", 1)[0]
    said = f"service {service}: pushing {repository} failed: {message}"
    if "HTTP response to HTTPS client" in message:
        return (
            f"{said}\nthe registry {registry} speaks plain HTTP, and the engine that pushes "
            "uses HTTPS but to 127.0.0.0/8 and its insecure-registries: add "
            f'"{registry}" to "insecure-registries" in /etc/docker/daemon.json and restart '
            "it (docs/compose-build.md)"
        )
    if any(s in message for s in ("connection refused", "no such host", "i/o timeout")):
        return (
            f"{said}\nis a registry listening at {registry}? The engine that pushes "
            f"(DOCKER_HOST) must reach it, as every agent's engine must"
        )
    return said


def _explained(err: docker.errors.APIError) -> str:
    return str(err.explanation or err)
