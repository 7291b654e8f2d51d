"""Cron schedules in a job's time zone (through croniter), and which
scheduled time is due now. Pure: the time is always given."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from croniter import croniter

from frameworks.batch.spec import JobSpec


def next_after(spec: JobSpec, when: float) -> float:
    """The first scheduled time strictly after `when` (Unix seconds)."""
    start = datetime.datetime.fromtimestamp(when, zoneinfo.ZoneInfo(spec.timezone))
    return float(croniter(spec.schedule, start).get_next(float))


def latest_at_or_before(spec: JobSpec, when: float) -> float:
    """The last scheduled time at or before `when`."""
    # croniter steps back from a point strictly after `when`.
    start = datetime.datetime.fromtimestamp(when + 0.001, zoneinfo.ZoneInfo(spec.timezone))
    return float(croniter(spec.schedule, start).get_prev(float))


@dataclass(frozen=True, slots=True)
class Due:
    # The scheduled time to run now, if any.
    fire: float | None
    # The next time to look again.
    next_at: float
    # Scheduled times that passed without a run (skipped or coalesced into `fire`).
    missed: int


def due(spec: JobSpec, next_at: float, now: float, *, recovering: bool) -> Due:
    """What a schedule asks for at `now`, given the next time not yet handled.

    Times that all passed at once are coalesced into one run of the latest
    (as Kubernetes CronJobs do). When `recovering` (offer-batch was down over
    them) the job's `missed_runs` policy decides: run once, or skip."""
    if now < next_at:
        return Due(None, next_at, 0)
    latest = latest_at_or_before(spec, now)
    passed = 1 if latest <= next_at else _count_between(spec, next_at, latest)
    fire: float | None = max(latest, next_at)
    if recovering and spec.missed_runs == "skip":
        fire = None
    return Due(fire, next_after(spec, now), passed - (1 if fire is not None else 0))


def _count_between(spec: JobSpec, first: float, last: float, limit: int = 10_000) -> int:
    """How many scheduled times lie in [first, last] (counted up to `limit`)."""
    count, when = 1, first
    while when < last and count < limit:
        when = next_after(spec, when)
        count += 1
    return count
