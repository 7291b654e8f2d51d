"""offer-batch's database does not grow with the runs ever made: every table
is bounded (docs/operations.md, "What is kept, for how long"). The
scheduler runs in-process on its real SQLite store; the test plays the
master."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from frameworks.batch.runs import RunState
from frameworks.batch.scheduler import BatchScheduler
from frameworks.batch.spec import JobSpec
from frameworks.batch.store import BatchStore
from frameworks.sdk import TaskState
from offer.clock import ManualClock
from tests.frameworks.fakes import FakeDriver, offer, status

START = 1_700_000_000.0
RUNS = 40
HISTORY = 3


def rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name != "alembic_version"
        ]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


async def test_runs_and_their_tasks_are_kept_to_the_jobs_history(tmp_path: Path) -> None:
    db = tmp_path / "batch.db"
    clock, driver = ManualClock(START), FakeDriver()
    scheduler = BatchScheduler(BatchStore(f"sqlite:///{db}"), clock)
    await scheduler.load()
    await scheduler.subscribed(driver, "fw-1")
    await scheduler.submit(
        [
            JobSpec(name="etl", image="img", history=HISTORY, concurrency_policy="allow"),
            JobSpec(name="other", image="img"),
        ]
    )
    # A run that goes on throughout: live runs are never forgotten.
    long = await scheduler.run_now("etl")
    await scheduler.offers(driver, [offer()])
    await scheduler.update(driver, status(driver.launched[-1], TaskState.RUNNING))

    for n in range(RUNS):
        await scheduler.run_now("etl")
        await scheduler.offers(driver, [offer()])
        task = driver.launched[-1]
        await scheduler.update(driver, status(task, TaskState.RUNNING))
        ended = TaskState.FINISHED if n % 2 else TaskState.FAILED
        await scheduler.update(driver, status(task, ended, exit_code=0 if n % 2 else 1))
        await clock.advance(1.0)

    # Every table: meta (the framework id), jobs (those submitted), runs and
    # their attempts (history per job, plus the run still going).
    assert rows(db) == {"meta": 1, "jobs": 2, "runs": HISTORY + 1, "attempts": HISTORY + 1}
    assert long.state == RunState.RUNNING
    assert [r.seq for r in scheduler.runs_of("etl")] == [RUNS + 1, RUNS, RUNS - 1, 1]
    assert len(scheduler.by_task) == HISTORY + 1

    # A restart loads no more than that.
    again = BatchScheduler(BatchStore(f"sqlite:///{db}"), clock)
    await again.load()
    assert sorted(again.runs) == sorted(scheduler.runs)

    # A removed job takes its runs and their tasks with it.
    await scheduler.remove("etl")
    assert rows(db) == {"meta": 1, "jobs": 1, "runs": 0, "attempts": 0}
