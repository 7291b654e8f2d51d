"""The pure step of a run: parallelism, retries with backoff, timeouts, endings."""

from __future__ import annotations

from frameworks.batch.runs import Attempt, Run, RunState, assign, step
from frameworks.batch.spec import JobSpec
from frameworks.sdk import Offer, Resources
from offer.tasks import TaskState


def run_of(**fields: object) -> Run:
    spec = JobSpec(name="etl", image="img", **fields)  # type: ignore[arg-type]
    return Run("etl-1", "etl", 1, spec, "manual", created_at=100.0)


def attempt(
    index: int, number: int = 1, state: TaskState = TaskState.RUNNING, **kw: object
) -> Attempt:
    return Attempt(f"etl-1.{index}.{number}", "etl-1", index, number, 100.0, state, **kw)  # type: ignore[arg-type]


def test_launches_at_most_parallelism_lowest_indexes_first() -> None:
    run = run_of(completions=20, parallelism=4)
    assert step(run, [], 100.0).launch == [(0, 1), (1, 1), (2, 1), (3, 1)]
    live = [attempt(0), attempt(1), attempt(2, state=TaskState.FINISHED)]
    assert step(run, live, 101.0).launch == [(3, 1), (4, 1)]


def test_succeeds_when_every_index_finished() -> None:
    run = run_of(completions=2, parallelism=2)
    done = [attempt(i, state=TaskState.FINISHED) for i in range(2)]
    assert step(run, done, 101.0).outcome == RunState.SUCCEEDED


def test_a_failure_is_retried_after_its_backoff_then_the_run_fails() -> None:
    run = run_of(retries=1, backoff_seconds=2.0)
    first = attempt(0, 1, TaskState.FAILED, ended_at=101.0, exit_code=3, message="exited with 3")
    waiting = step(run, [first], 102.0)
    assert waiting.launch == [] and waiting.wake_at == 103.0
    assert step(run, [first], 103.0).launch == [(0, 2)]
    second = attempt(0, 2, TaskState.FAILED, ended_at=104.0, exit_code=7, message="exited with 7")
    ended = step(run, [first, second], 104.0)
    assert ended.outcome == RunState.FAILED and ended.exit_code == 7
    assert "task 0 failed 2 time(s)" in ended.message


def test_a_failure_that_is_not_the_tasks_fault_uses_no_retry() -> None:
    run = run_of(retries=0)
    lost = attempt(0, 1, TaskState.LOST, ended_at=101.0, counts=False)
    assert step(run, [lost], 101.0).launch == [(0, 2)]


def test_a_task_past_its_timeout_is_killed_once() -> None:
    run = run_of(timeout_seconds=5.0)
    live = [attempt(0)]
    assert step(run, live, 104.0).kill == {} and step(run, live, 104.0).wake_at == 105.0
    decided = step(run, live, 105.0)
    assert list(decided.kill) == ["etl-1.0.1"] and decided.timed_out == ["etl-1.0.1"]
    live[0].timed_out = True
    assert step(run, live, 106.0).kill == {}


def test_a_run_past_its_timeout_fails_and_kills_everything() -> None:
    run = run_of(completions=3, parallelism=3, run_timeout_seconds=10.0)
    decided = step(run, [attempt(0), attempt(1)], 110.0)
    assert decided.outcome == RunState.FAILED and len(decided.kill) == 2
    assert "run timed out" in decided.message


def test_assign_packs_many_tasks_into_one_offer() -> None:
    spec = JobSpec(name="etl", image="img", cpus=0.5, mem=32)
    tasks = [spec.task(f"t{i}", "etl-1", i, 1) for i in range(5)]
    offers = [Offer(f"o{i}", f"a{i}", f"h{i}", Resources(1.0, 1024)) for i in range(3)]
    found = assign(offers, tasks)
    assert [len(specs) for _, specs in found.launches.values()] == [2, 2, 1]
    assert found.unused == [] and found.left_out == []
    env = dict(tasks[3].env)
    assert env["OFFER_TASK_INDEX"] == "3" and env["JOB_COMPLETION_INDEX"] == "3"
