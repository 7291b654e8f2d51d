"""offer-batch's own store on SQLite and PostgreSQL (the db_url fixture)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from frameworks.batch.runs import Attempt, Run, RunState
from frameworks.batch.spec import JobSpec
from frameworks.batch.store import BatchStore, JobRecord
from offer.tasks import TaskState


def test_state_survives_a_reopen(db_url: str) -> None:
    url = db_url
    store = BatchStore(url)
    spec = JobSpec(name="etl", image="img", completions=3, schedule="* * * * *")
    job = JobRecord(spec, 1.0, seq=1, next_at=60.0)
    run = Run("etl-1", "etl", 1, spec, "schedule", 2.0, scheduled_for=0.0)
    attempt = Attempt("etl-1.0.1", "etl-1", 0, 1, 3.0, TaskState.FAILED, exit_code=3, counts=False)
    store.save_framework_id("fw-1")
    store.save(jobs=[job], runs=[run], attempts=[attempt])
    loaded = BatchStore(url).load()
    assert loaded.framework_id == "fw-1"
    assert loaded.jobs == [job] and loaded.runs == [run] and loaded.attempts == [attempt]
    run.state = RunState.SUCCEEDED
    store.save(runs=[run])
    store.forget_runs(["etl-1"])
    assert BatchStore(url).load().runs == [] and BatchStore(url).load().attempts == []


def test_one_scheduled_time_is_run_once(db_url: str) -> None:
    store = BatchStore(db_url)
    spec = JobSpec(name="etl", image="img", schedule="* * * * *")
    store.save(runs=[Run("etl-1", "etl", 1, spec, "schedule", 2.0, scheduled_for=60.0)])
    with pytest.raises(IntegrityError):
        store.save(runs=[Run("etl-2", "etl", 2, spec, "missed", 3.0, scheduled_for=60.0)])
