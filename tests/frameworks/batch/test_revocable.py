"""offer-batch and revocable resources: the spec field, and a preempted task
retried without using up a retry (the pure step, then the scheduler with its
real store and a recording driver; the test plays the master)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from frameworks.batch.runs import Attempt, Run, RunState, step
from frameworks.batch.scheduler import BatchScheduler
from frameworks.batch.spec import JobSpec, parse_jobs
from frameworks.batch.store import BatchStore
from frameworks.sdk import Resources, StatusReason, TaskState
from offer.clock import ManualClock
from tests.frameworks.fakes import FakeDriver, offer, status

START = 1_700_000_000.0


def test_revocable_is_off_unless_asked() -> None:
    [plain, lender] = parse_jobs(
        "jobs:\n- {name: a, image: img}\n- {name: b, image: img, revocable: true}\n"
    )
    assert (plain.revocable, lender.revocable) == (False, True)


def test_a_preempted_attempt_uses_up_no_retry_and_waits_no_backoff() -> None:
    spec = JobSpec(name="etl", image="img", retries=0, backoff_seconds=30, revocable=True)
    run = Run("etl-1", "etl", 1, spec, "manual", created_at=100.0)
    preempted = Attempt(
        "etl-1.0.1", "etl-1", 0, 1, 100.0, TaskState.KILLED, ended_at=110.0, counts=False
    )
    decision = step(run, [preempted], 110.0)
    assert (decision.outcome, decision.launch) == (None, [(0, 2)])


async def started(tmp_path: Path) -> tuple[BatchScheduler, FakeDriver]:
    driver = FakeDriver()
    scheduler = BatchScheduler(BatchStore(f"sqlite:///{tmp_path / 'b.db'}"), ManualClock(START))
    await scheduler.load()
    await scheduler.subscribed(driver, "fw-1")
    return scheduler, driver


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        # Preempted twice, then it finishes: the run succeeds with no retry allowed.
        (StatusReason.PREEMPTED, RunState.SUCCEEDED),
        # The same ending for any other reason is a failure that uses the only attempt.
        (StatusReason.KILLED_BY_REQUEST, RunState.FAILED),
    ],
)
async def test_preempted_tasks_are_retried_for_free(
    tmp_path: Path, reason: StatusReason, outcome: RunState
) -> None:
    scheduler, driver = await started(tmp_path)
    await scheduler.submit([JobSpec(name="etl", image="img", retries=0, revocable=True)])
    run = await scheduler.run_now("etl")
    for _ in range(2):
        await scheduler.offers(driver, [offer()])
        task = driver.launched[-1]
        await scheduler.update(driver, status(task, TaskState.RUNNING))
        await scheduler.update(driver, status(task, TaskState.KILLED, reason=reason))
        if run.state.is_ended:
            break
    if outcome is RunState.SUCCEEDED:
        await scheduler.offers(driver, [offer()])
        task = driver.launched[-1]
        assert task.task_id.endswith(".3")  # the third attempt, though retries is 0
        await scheduler.update(driver, status(task, TaskState.RUNNING))
        await scheduler.update(driver, status(task, TaskState.FINISHED, exit_code=0))
    assert run.state == outcome
    # The preempted attempts stay on record as not counted (they survive a restart).
    reloaded = BatchScheduler(BatchStore(f"sqlite:///{tmp_path / 'b.db'}"), ManualClock(START))
    await reloaded.load()
    counted = [a.counts for a in reloaded.attempts.get(run.run_id, [])]
    if outcome is RunState.SUCCEEDED:
        assert counted[:2] == [False, False]


async def test_revocable_jobs_use_revocable_parts_first_then_ordinary_ones(
    tmp_path: Path,
) -> None:
    scheduler, driver = await started(tmp_path)
    assert scheduler.accepts_revocable  # its Driver subscribes with the capability
    await scheduler.submit(
        [
            JobSpec(name="lend", image="img", cpus=1, completions=3, parallelism=3, revocable=True),
            JobSpec(name="plain", image="img", cpus=1),
        ]
    )
    await scheduler.run_now("lend")
    await scheduler.run_now("plain")
    lent = dataclasses.replace(offer(cpus=2, mem=1024), revocable=Resources(1.5, 512))
    await scheduler.offers(driver, [lent])
    by_job = {t.task_id: t for t in driver.launched}
    marked = sorted(t.name for t in by_job.values() if t.revocable)
    unmarked = sorted(t.name for t in by_job.values() if not t.revocable)
    # One lend task fits the revocable part; the plain task and another lend
    # task (unmarked, as revocable room ran out) the ordinary one.
    assert marked == ["lend-0"]
    assert unmarked == ["lend-1", "plain-0"]
