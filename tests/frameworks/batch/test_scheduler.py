"""offer-batch's scheduler in-process: a manual clock, a recording driver
and its real store on a temporary SQLite file. The test plays the master."""

from __future__ import annotations

from pathlib import Path

import pytest

from frameworks.batch.runs import RunState
from frameworks.batch.scheduler import BatchScheduler
from frameworks.batch.spec import JobSpec
from frameworks.batch.store import BatchStore
from frameworks.sdk import TaskState
from offer.clock import ManualClock
from tests.frameworks.fakes import FakeDriver, offer, status

START = 1_700_000_000.0  # a whole second: "every second" falls on START + n


def every_second(missed_runs: str = "run_once") -> JobSpec:
    return JobSpec(
        name="tick",
        image="img",
        cmd="true",
        schedule="* * * * * *",
        missed_runs=missed_runs,
        history=100,
    )


async def started(tmp_path: Path, clock: ManualClock, driver: FakeDriver) -> BatchScheduler:
    scheduler = BatchScheduler(BatchStore(f"sqlite:///{tmp_path / 'b.db'}"), clock)
    await scheduler.load()
    await scheduler.subscribed(driver, "fw-1")
    return scheduler


async def advance(clock: ManualClock, scheduler: BatchScheduler, seconds: float) -> None:
    """Moves time on and waits for the tick it woke (it writes to the store
    in a thread, which the clock does not wait for)."""
    await clock.advance(seconds)
    await scheduler.wakeup.finished()


async def run_to_success(scheduler: BatchScheduler, driver: FakeDriver) -> None:
    """Offers the pending task an agent; it runs and exits 0."""
    await scheduler.offers(driver, [offer()])
    task = driver.launched[-1]
    await scheduler.update(driver, status(task, TaskState.RUNNING))
    await scheduler.update(driver, status(task, TaskState.FINISHED, exit_code=0))


async def test_a_schedule_fires_at_each_scheduled_time(tmp_path: Path) -> None:
    clock, driver = ManualClock(START), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.submit([every_second()])
    assert scheduler.jobs["tick"].next_at == START + 1
    await advance(clock, scheduler, 0.9)
    assert scheduler.runs == {}

    await advance(clock, scheduler, 0.1)
    [run] = scheduler.runs.values()
    assert (run.trigger, run.scheduled_for, driver.count("revive")) == ("schedule", START + 1, 1)
    await run_to_success(scheduler, driver)
    assert run.state == RunState.SUCCEEDED

    await advance(clock, scheduler, 1.0)
    assert [r.scheduled_for for r in scheduler.runs_of("tick")] == [START + 2, START + 1]


@pytest.mark.parametrize("policy", ["run_once", "skip"])
async def test_times_missed_while_down_run_once_or_not_at_all(tmp_path: Path, policy: str) -> None:
    clock, driver = ManualClock(START), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.submit([every_second(policy)])
    for _ in range(2):
        await advance(clock, scheduler, 1.0)
        await run_to_success(scheduler, driver)

    # Killed at START + 2.5; back at START + 6.5, its clock reads on from there:
    # the times START + 3 to START + 6 passed while it was down.
    restarted = await started(tmp_path, ManualClock(START + 6.5), FakeDriver())
    runs = restarted.runs_of("tick")
    if policy == "run_once":
        assert [(r.trigger, r.scheduled_for) for r in runs[:1]] == [("missed", START + 6)]
        assert len(runs) == 3
    else:
        assert len(runs) == 2
    assert restarted.jobs["tick"].next_at == START + 7
    stamps = [r.scheduled_for for r in runs]
    assert len(stamps) == len(set(stamps))


async def test_a_restart_relaunches_only_tasks_the_master_never_saw(tmp_path: Path) -> None:
    clock, driver = ManualClock(START), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.submit([JobSpec(name="etl", image="img", completions=2, parallelism=2)])
    await scheduler.run_now("etl")
    await scheduler.offers(driver, [offer()])
    running, lost = driver.launched

    again = FakeDriver()
    restarted = await started(tmp_path, clock, again)
    assert sorted(again.reconciled[0]) == sorted([running.task_id, lost.task_id])
    await restarted.update(again, status(running, TaskState.RUNNING))
    await restarted.update(again, status(lost, TaskState.UNKNOWN))
    await restarted.offers(again, [offer()])
    # Index 1 again, as its second attempt: the lost launch used up no retry
    # (the job has none), and index 0 is followed, not launched again.
    [relaunched] = again.launched
    assert (lost.task_id, relaunched.task_id) == ("etl-1.1.1", "etl-1.1.2")
    assert restarted.runs["etl-1"].state == RunState.RUNNING


async def test_a_refused_decline_is_harmless_as_a_refused_accept(tmp_path: Path) -> None:
    """An offer rescinded in flight: the decline is refused (NOT_FOUND);
    the callback goes on and the next offer launches."""
    clock, driver = ManualClock(START), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.submit([JobSpec(name="etl", image="img", cpus=4)])
    await scheduler.run_now("etl")
    rescinded = offer(cpus=1)
    driver.gone.add(rescinded.offer_id)
    await scheduler.offers(driver, [rescinded])
    assert driver.calls[-1] == "decline" and driver.declined == []
    await scheduler.offers(driver, [offer(cpus=4)])
    assert [t.task_id for t in driver.launched] == ["etl-1.0.1"]


async def test_a_run_whose_task_cannot_be_sent_fails_and_others_launch(tmp_path: Path) -> None:
    clock, driver = ManualClock(START), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.submit(
        [JobSpec(name="bad", image="img", labels={"x": "\ud800"}), JobSpec(name="ok", image="img")]
    )
    bad, ok = await scheduler.run_now("bad"), await scheduler.run_now("ok")
    await scheduler.offers(driver, [offer()])
    assert [t.task_id for t in driver.launched] == ["ok-1.0.1"]
    assert bad.state == RunState.FAILED
    assert bad.message.startswith("cannot launch: task cannot be sent to the master: ")
    assert ok.state == RunState.RUNNING
