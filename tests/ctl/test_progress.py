"""The rules --wait follows (offer/ctl/progress.py), on the messages the
control APIs answer: when a rollout is done or crash-looping, when a run
has ended."""

from __future__ import annotations

from offer.ctl.progress import AppRollout, Outcome, run_progress, same_version
from offer.v1 import batch_pb2
from offer.v1 import service_pb2 as pb

SPEC = "id: web\nimage: img\ninstances: {n}\ncmd: {cmd}\n"


def _app(n: int, *tasks: tuple[str, str], cmd: str = "sleep 1", reason: str = "") -> pb.AppStatus:
    return pb.AppStatus(
        app_id="web",
        spec_yaml=SPEC.format(n=n, cmd=cmd),
        instances=n,
        tasks=[pb.Instance(task_id=i, state=s, message=f"{i} {s}") for i, s in tasks],
        waiting_reason=reason,
    )


def test_done_when_all_wanted_are_ready_and_no_old_one_is_left() -> None:
    before = _app(2, ("a", "RUNNING"), ("b", "RUNNING"))
    rollout = AppRollout.start("web", before, new_version=True)
    going = rollout.check(_app(2, ("a", "RUNNING"), ("b", "RUNNING"), ("c", "RUNNING")))
    assert going.outcome is Outcome.GOING
    assert going.line == "app web: 1 of 2 ready, 2 of the old version left"
    assert rollout.check(_app(2, ("a", "KILLED"), ("c", "RUNNING"), ("d", "RUNNING"))).outcome is (
        Outcome.DONE
    )


def test_scaling_down_is_done_once_the_extra_instances_are_gone() -> None:
    before = _app(3, ("a", "RUNNING"), ("b", "RUNNING"), ("c", "RUNNING"))
    rollout = AppRollout.start("web", before, new_version=False)
    going = rollout.check(_app(1, ("a", "RUNNING"), ("b", "RUNNING"), ("c", "KILLING")))
    assert going.line == "app web: 2 of 1 ready, 2 more being stopped"
    assert rollout.check(_app(1, ("a", "RUNNING"), ("b", "KILLED"), ("c", "KILLED"))).outcome is (
        Outcome.DONE
    )


def test_a_health_checked_instance_is_ready_once_healthy() -> None:
    app = _app(1, ("a", "RUNNING"))
    app.spec_yaml += "health_check: {protocol: tcp, port: 80}\n"
    rollout = AppRollout.start("web", None, new_version=False)
    assert rollout.check(app).outcome is Outcome.GOING
    app.tasks[0].health = "healthy"
    assert rollout.check(app).outcome is Outcome.DONE


def test_three_crashes_of_this_rollout_are_a_crash_loop() -> None:
    before = _app(1, ("old-crash", "FAILED"))
    rollout = AppRollout.start("web", before, new_version=False)
    two = _app(1, ("old-crash", "FAILED"), ("x", "FAILED"), ("y", "ERROR"), ("z", "STARTING"))
    assert rollout.check(two).outcome is Outcome.GOING  # the crash from before does not count
    three = _app(1, ("x", "FAILED"), ("y", "ERROR"), ("z", "FAILED"), reason="backing off")
    failed = rollout.check(three)
    assert failed.outcome is Outcome.FAILED
    assert failed.summary == (
        "app web failed: 3 instances crashed (crash loop; last: z FAILED); backing off"
    )


def test_the_version_changes_with_anything_but_instances() -> None:
    assert same_version(_app(1), _app(5))
    assert not same_version(_app(1), _app(1, cmd="sleep 2"))


def test_a_run_ends_as_its_state_says() -> None:
    run = batch_pb2.RunStatus(run_id="etl-1", state="RUNNING", completions=3, running=0)
    assert run_progress(run).line == "run etl-1: 0 of 3 done, 0 running; waiting for offers"
    run.state, run.succeeded = "SUCCEEDED", 3
    assert run_progress(run).outcome is Outcome.DONE
    for state in ("FAILED", "CANCELLED"):
        run.state, run.message = state, "task 1 failed"
        ended = run_progress(run)
        assert (ended.outcome, ended.summary) == (
            Outcome.FAILED,
            f"run etl-1 {state.lower()}: task 1 failed",
        )
