"""When a rollout or a run that offerctl waits for (--wait) is done or has
failed, and how far it is: pure functions of what the control APIs answer
(an app's AppStatus, a run's RunStatus), polled by offer/ctl/follow.py.

An app's rollout (`app deploy|scale|restart --wait`):

- done: as many instances as wanted are live, every one of them ready
  (RUNNING, and healthy when the app has a health check), and none is of
  the version being replaced;
- failed: CRASH_LIMIT instances launched since the command started have
  crashed (ended FAILED or ERROR): the app is in a crash loop, and
  offer-service backs off before each new attempt; or offer-service marked
  the deployment failed (no progress within upgrade_deadline_seconds),
  saying why.

A run (`job run --wait`) is done when it SUCCEEDED, failed when it FAILED
or was CANCELLED.

The control API does not say which version an instance runs (AppStatus
has no version): the instances of the replaced version are those live when
the command started, if the command changes the version (restart always;
deploy when the spec changes in anything but `instances`; scale never).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import yaml

from offer.ctl.names import ENDED_STATES
from offer.v1 import batch_pb2, service_pb2

# Crashes of this rollout's instances that make it a crash loop: one crash
# can be bad luck (a port taken, an engine hiccup); three of a new version
# in a row are the version. offer-service backs off about 1 s, then x1.15
# each time (backoff_seconds, backoff_factor), so three take seconds.
CRASH_LIMIT = 3
_CRASHED = ("FAILED", "ERROR")
_STARTING = ("STAGING", "STARTING")


class Outcome(Enum):
    GOING = "going"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Progress:
    """One thing waited for, now: a line for people and, once it ended, its
    verdict and the line that says so."""

    line: str
    outcome: Outcome = Outcome.GOING
    summary: str = ""


def _spec(spec_yaml: str) -> dict[str, Any]:
    loaded = yaml.safe_load(spec_yaml) if spec_yaml else None
    return loaded if isinstance(loaded, dict) else {}


def same_version(before: service_pb2.AppStatus, after: service_pb2.AppStatus) -> bool:
    """Whether offer-service runs both as one version: their specs differ
    at most in `instances` (what a version is made of, frameworks/service/spec.py)."""
    old, new = _spec(before.spec_yaml), _spec(after.spec_yaml)
    for key in _NOT_VERSIONED:
        old.pop(key, None)
        new.pop(key, None)
    return old == new


# Fields a version is not made of: changing them replaces no instance.
_NOT_VERSIONED = ("instances", "placement", "spread_by", "upgrade_deadline_seconds")


@dataclass
class AppRollout:
    """An app's rollout, followed from what GetApp answers."""

    app_id: str
    # Every instance the app had when the command started, ended ones too:
    # none of them counts as a crash of this rollout.
    before: frozenset[str]
    # Those of them, live then, that run the version being replaced.
    old: frozenset[str]
    # This rollout's crashed instances: task id -> its last message.
    crashed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(
        cls, app_id: str, before: service_pb2.AppStatus | None, new_version: bool
    ) -> AppRollout:
        """`before`: the app as it was before the command (None: a new app)."""
        if before is None:
            return cls(app_id, frozenset(), frozenset())
        ids = frozenset(t.task_id for t in before.tasks)
        live = frozenset(t.task_id for t in before.tasks if t.state not in ENDED_STATES)
        return cls(app_id, ids, live if new_version else frozenset())

    def check(self, app: service_pb2.AppStatus) -> Progress:
        has_check = _spec(app.spec_yaml).get("health_check") is not None
        live = [t for t in app.tasks if t.state not in ENDED_STATES]
        old = [t for t in live if t.task_id in self.old]
        new = [t for t in live if t.task_id not in self.old]
        ready = sum(
            1 for t in new if t.state == "RUNNING" and (t.health == "healthy" or not has_check)
        )
        for t in app.tasks:
            if t.task_id not in self.before and t.state in _CRASHED:
                self.crashed[t.task_id] = t.message
        wanted = app.instances
        parts = [f"{ready} of {wanted} ready"]
        starting = sum(1 for t in new if t.state in _STARTING)
        if starting:
            parts.append(f"{starting} starting")
        if old:
            parts.append(f"{len(old)} of the old version left")
        if len(new) > wanted:
            parts.append(f"{len(new) - wanted} more being stopped")
        if self.crashed:
            parts.append(f"{len(self.crashed)} crashed")
        line = f"app {self.app_id}: " + ", ".join(parts)
        if app.waiting_reason:
            line += f"; {app.waiting_reason}"
        failed = service_pb2.DeploymentState.DEPLOYMENT_STATE_FAILED
        if app.deployment.state == failed:
            summary = f"app {self.app_id} failed: deployment {app.deployment.reason}"
            return Progress(line, Outcome.FAILED, summary)
        if len(self.crashed) >= CRASH_LIMIT:
            last = list(self.crashed.values())[-1]
            summary = (
                f"app {self.app_id} failed: {len(self.crashed)} instances crashed "
                f"(crash loop; last: {last or 'no message'})"
            )
            if app.waiting_reason:
                summary += f"; {app.waiting_reason}"
            return Progress(line, Outcome.FAILED, summary)
        if not old and len(new) == wanted and ready == wanted:
            done = f"app {self.app_id} rolled out: {ready} of {wanted} ready"
            return Progress(line, Outcome.DONE, done)
        return Progress(line)


def run_progress(run: batch_pb2.RunStatus) -> Progress:
    """A run's progress, from GetRun."""
    parts = [f"{run.succeeded} of {run.completions} done", f"{run.running} running"]
    starting = sum(1 for t in run.tasks if t.state in _STARTING)
    if starting:
        parts.append(f"{starting} starting")
    if run.failed_attempts:
        parts.append(f"{run.failed_attempts} failed attempt(s)")
    line = f"run {run.run_id}: " + ", ".join(parts)
    if run.state == "RUNNING" and run.running == 0:
        # RunStatus carries no reason of its own: this is what leaves a run
        # with nothing running.
        retry = " or a retry's delay" if run.failed_attempts else ""
        line += f"; waiting for offers{retry}"
    if run.state == "SUCCEEDED":
        return Progress(line, Outcome.DONE, f"run {run.run_id} succeeded: {', '.join(parts)}")
    if run.state in ("FAILED", "CANCELLED"):
        why = f": {run.message}" if run.message else ""
        return Progress(line, Outcome.FAILED, f"run {run.run_id} {run.state.lower()}{why}")
    return Progress(line)
