"""Engine volumes for tasks: the names the agent gives them and the mounts
that ask the engine for them. Pure: no engine call (the engine creates a
volume the first time a container mounts it, and an anonymous one for the
container: removed with it, as the agent removes containers with v=True)."""

from __future__ import annotations

import hashlib

from docker.types import Mount

from offer.ids import VOLUME_NAME_RULE, is_volume_name
from offer.tasks import StatusReason, TaskSpec

__all__ = [
    "LABEL_VOLUME",
    "VolumeProblem",
    "anonymous_volume_mounts",
    "engine_volume_name",
    "named_volume_mounts",
]

# Labels on every engine volume the agent has the engine create.
LABEL_VOLUME = "offer.volume"
LABEL_VOLUME_FRAMEWORK = "offer.framework_id"


class VolumeProblem(ValueError):
    """A task's named volume that cannot be mounted as asked."""

    reason = StatusReason.INVALID_TASK


def engine_volume_name(framework_id: str, name: str) -> str:
    """The engine's name for a framework's volume `name`:
    "offer-<framework id>-<name>", so that two frameworks never meet in
    one volume. A framework id the engine would not take in a name (one
    with ':') is replaced by "h" and 16 hex digits of its SHA-256."""
    scope = framework_id
    if not is_volume_name(framework_id) or len(framework_id) > 64:
        scope = "h" + hashlib.sha256(framework_id.encode()).hexdigest()[:16]
    return f"offer-{scope}-{name}"


def named_volume_mounts(framework_id: str, spec: TaskSpec) -> list[Mount]:
    """The engine mounts of the task's named volumes. Raises VolumeProblem,
    naming the volume, for a name or path the engine would refuse."""
    mounts = []
    for volume in spec.named_volumes:
        if not is_volume_name(volume.name):
            raise VolumeProblem(
                f"volume name {volume.name!r} is not {VOLUME_NAME_RULE}; rename it in the task's "
                "container.volumes"
            )
        if not volume.container_path.startswith("/"):
            raise VolumeProblem(
                f"volume {volume.name!r}: container_path {volume.container_path!r} must be an "
                "absolute path inside the container, e.g. /data"
            )
        mounts.append(
            Mount(
                target=volume.container_path,
                source=engine_volume_name(framework_id, volume.name),
                type="volume",
                read_only=volume.read_only,
                # Only read when the engine creates the volume, on its first use.
                labels={LABEL_VOLUME: volume.name, LABEL_VOLUME_FRAMEWORK: framework_id},
            )
        )
    return mounts


def anonymous_volume_mounts(framework_id: str, spec: TaskSpec) -> list[Mount]:
    """The engine mounts of the task's anonymous volumes: type volume with
    no source, so the engine makes a fresh volume for the container and
    fills it with the image's content at that path. Labelled with the
    framework, so one left behind (a container removed without -v by
    hand) can be found. Raises VolumeProblem for a relative path."""
    mounts = []
    for volume in spec.anonymous_volumes:
        if not volume.container_path.startswith("/"):
            raise VolumeProblem(
                f"anonymous volume: container_path {volume.container_path!r} must be an "
                "absolute path inside the container, e.g. /data"
            )
        mounts.append(
            Mount(
                target=volume.container_path,
                source=None,
                type="volume",
                read_only=volume.read_only,
                labels={LABEL_VOLUME_FRAMEWORK: framework_id},
            )
        )
    return mounts
