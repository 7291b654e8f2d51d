"""Cron schedules: time zones, coalescing, and the missed-runs policy."""

from __future__ import annotations

import datetime
import zoneinfo

from frameworks.batch import schedule
from frameworks.batch.spec import JobSpec


def at(text: str, tz: str = "UTC") -> float:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(tz)).timestamp()


def test_next_time_is_read_in_the_jobs_time_zone() -> None:
    spec = JobSpec(name="j", image="i", schedule="0 3 * * *", timezone="Europe/Paris")
    assert schedule.next_after(spec, at("2026-06-01 12:00")) == at(
        "2026-06-02 03:00", "Europe/Paris"
    )


def test_a_time_due_now_fires_once_and_moves_on() -> None:
    spec = JobSpec(name="j", image="i", schedule="*/5 * * * *")
    due = schedule.due(spec, at("2026-06-01 12:05"), at("2026-06-01 12:05:00.2"), recovering=False)
    assert due.fire == at("2026-06-01 12:05") and due.next_at == at("2026-06-01 12:10")
    assert due.missed == 0
    later = schedule.due(spec, due.next_at, at("2026-06-01 12:07"), recovering=False)
    assert later.fire is None and later.next_at == due.next_at


def test_times_missed_while_down_run_once_or_are_skipped() -> None:
    spec = JobSpec(name="j", image="i", schedule="*/5 * * * *")
    once = schedule.due(spec, at("2026-06-01 12:05"), at("2026-06-01 12:31"), recovering=True)
    assert once.fire == at("2026-06-01 12:30") and once.missed == 5
    assert once.next_at == at("2026-06-01 12:35")
    skip = JobSpec(name="j", image="i", schedule="*/5 * * * *", missed_runs="skip")
    skipped = schedule.due(skip, at("2026-06-01 12:05"), at("2026-06-01 12:31"), recovering=True)
    assert skipped.fire is None and skipped.missed == 6


def test_a_six_field_schedule_counts_seconds() -> None:
    spec = JobSpec(name="j", image="i", schedule="* * * * * */2")
    assert schedule.next_after(spec, at("2026-06-01 12:00:01")) == at("2026-06-01 12:00:02")
