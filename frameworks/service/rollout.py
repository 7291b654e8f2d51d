"""An app's deployment (a deploy, scale, restart or rollback on its way to
`instances` ready instances of the current version, and none of an older
one), and the versions an app keeps to roll back to. Pure: no I/O, no
clock; the scheduler passes the time.

A deployment has a deadline, as Kubernetes' progressDeadlineSeconds: it
fails when `upgrade_deadline_seconds` pass with no progress (progress: more
instances of the current version ready than ever before in this
deployment). A failed deployment says why (crashing, unhealthy, no offers)
and goes on: the planner keeps the old ready instances serving as the
rolling rules require, and if it completes after all it is complete.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from frameworks.service.planner import InstanceView
from frameworks.service.spec import AppSpec
from offer.tasks import TaskState

# Versions kept per app for `offerctl app history` and rollbacks.
VERSIONS_KEPT = 10


class DeploymentState(enum.IntEnum):
    """Mirrors offer.v1.DeploymentState."""

    UNSPECIFIED = 0
    IN_PROGRESS = 1
    COMPLETE = 2
    FAILED = 3


@dataclass(frozen=True, slots=True)
class Deployment:
    state: DeploymentState = DeploymentState.COMPLETE
    started_at: float = 0.0
    # When it last progressed (or started): the deadline runs from here.
    progress_at: float = 0.0
    # The most instances of the current version ready at once so far.
    most_ready: int = 0
    # Why it failed ("" unless FAILED).
    reason: str = ""

    @property
    def going(self) -> bool:
        return self.state in (DeploymentState.IN_PROGRESS, DeploymentState.FAILED)

    def deadline(self, spec: AppSpec) -> float | None:
        """When it fails unless it progresses; None if it cannot fail now."""
        if self.state != DeploymentState.IN_PROGRESS:
            return None
        return self.progress_at + spec.upgrade_deadline_seconds


@dataclass(frozen=True, slots=True)
class Failures:
    """An app's failures in a row (its crash-loop count), and the last one."""

    count: int = 0
    # How the last ended, e.g. "web.1f2e KILLED: killed: it failed its health checks".
    last: str = ""
    # The last was killed for failing its health checks, not a crash.
    unhealthy: bool = False


def started(now: float) -> Deployment:
    return Deployment(DeploymentState.IN_PROGRESS, now, now)


def advance(
    deployment: Deployment,
    spec: AppSpec,
    version: str,
    instances: Sequence[InstanceView],
    failures: Failures,
    waiting: str,
    now: float,
) -> Deployment:
    """The deployment after looking at the app now: complete once it is
    done, progressed if more of the current version are ready than ever,
    failed (with why) once its deadline passed without progress."""
    if not deployment.going:
        return deployment
    has_check = spec.health_check is not None
    live = [i for i in instances if i.live]
    ready = sum(1 for i in live if i.version == version and i.ready(has_check))
    if ready == spec.instances == len(live):
        return Deployment(DeploymentState.COMPLETE, deployment.started_at, now, ready)
    if ready > deployment.most_ready:
        # Progress: a failed deployment that moves again is in progress again.
        deployment = replace(
            deployment,
            state=DeploymentState.IN_PROGRESS,
            progress_at=now,
            most_ready=ready,
            reason="",
        )
    deadline = deployment.progress_at + spec.upgrade_deadline_seconds
    if deployment.state == DeploymentState.IN_PROGRESS and now >= deadline:
        why = stall_reason(spec, version, instances, failures, waiting)
        reason = (
            f"not done after {spec.upgrade_deadline_seconds:g}s without progress "
            f"({ready} of {spec.instances} of the new version ready): {why}"
        )
        return replace(deployment, state=DeploymentState.FAILED, reason=reason)
    return deployment


def stall_reason(
    spec: AppSpec,
    version: str,
    instances: Sequence[InstanceView],
    failures: Failures,
    waiting: str,
) -> str:
    """Why instances of the current version are not ready: crashing or
    killed as unhealthy (and how the last one ended), unhealthy now, no
    offers (the planner's waiting reason), or old instances still being
    stopped."""
    mine = [i for i in instances if i.version == version]
    if failures.count:
        said = f" (last: {failures.last})" if failures.last else ""
        times = f"{failures.count} time{'s' * (failures.count != 1)} in a row{said}"
        if failures.unhealthy:
            return f"unhealthy: instances of the new version failed their health checks {times}"
        return f"crashing: instances of the new version ended {times}"
    checked = spec.health_check is not None
    # Running without passing, or being killed by its agent for failing them.
    unhealthy = [
        i
        for i in mine
        if checked
        and i.live
        and (
            (i.state == TaskState.RUNNING and not i.kill_asked and i.healthy is not True)
            or (i.state == TaskState.KILLING and i.healthy is False)
        )
    ]
    if unhealthy:
        return (
            f"unhealthy: {len(unhealthy)} instance{'s' * (len(unhealthy) != 1)} of the "
            "new version not passing health checks"
        )
    if waiting:
        return f"no offers: {waiting}"
    if any(i.being_killed for i in instances):
        return "instances being killed have not ended yet"
    return "instances of the new version have not started yet"


@dataclass(frozen=True, slots=True)
class AppVersion:
    """One version of an app's spec as deployed, for history and rollback."""

    revision: int
    spec: AppSpec
    deployed_at: float
    # What changed from the revision before, for people.
    change: str


def change_between(before: AppSpec | None, after: AppSpec) -> str:
    """What changed, field by field ("env.V: 1 -> 2; image: a -> b"),
    leaving out `instances`, which no version holds."""
    if before is None:
        return "created"
    old, new = _flat(before.stored()), _flat(after.stored())
    old.pop("instances", None)
    new.pop("instances", None)
    parts = []
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            parts.append(f"{key}: {_said(old.get(key))} -> {_said(new.get(key))}")
    return "; ".join(parts) or "no change"


def _flat(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, Mapping):
            flat.update(_flat(item, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = item
    return flat


def _said(value: object) -> str:
    text = "(none)" if value is None else str(value)
    # A value the schema passes may be no UTF-8 (a lone surrogate): escaped, it can be stored.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 60 else text[:57] + "..."
