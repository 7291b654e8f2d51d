"""A deployment's deadline and an app's versions, as pure functions."""

from __future__ import annotations

from frameworks.service.planner import InstanceView
from frameworks.service.rollout import (
    DeploymentState,
    Failures,
    advance,
    change_between,
    started,
)
from frameworks.service.spec import AppSpec
from offer.tasks import TaskState

CHECK = {"protocol": "tcp", "port": 8080}
SPEC = AppSpec(
    id="web",
    image="img",
    instances=2,
    ports=[8080],
    health_check=CHECK,  # type: ignore[arg-type]
    upgrade_deadline_seconds=30,
)


def inst(
    n: int, version: str, healthy: bool | None, state: TaskState = TaskState.RUNNING
) -> InstanceView:
    return InstanceView(f"web.{n}", "web", version, state, "h1", {}, healthy, float(n))


OLD = [inst(1, "old", True), inst(2, "old", True)]


def test_a_deployment_without_progress_fails_at_its_deadline_saying_why() -> None:
    going = started(100.0)
    unhealthy = [*OLD, inst(3, "new", False)]
    before = advance(going, SPEC, "new", unhealthy, Failures(), "", 129.9)
    assert before.state == DeploymentState.IN_PROGRESS and before.deadline(SPEC) == 130.0
    failed = advance(going, SPEC, "new", unhealthy, Failures(), "", 130.0)
    assert failed.state == DeploymentState.FAILED and failed.deadline(SPEC) is None
    assert failed.reason == (
        "not done after 30s without progress (0 of 2 of the new version ready): unhealthy: "
        "1 instance of the new version not passing health checks"
    )


def test_each_cause_is_told_apart() -> None:
    going = started(0.0)
    crash = Failures(3, "web.3 FAILED: exited with code 1")
    crashed = advance(going, SPEC, "new", OLD, crash, "", 31.0)
    assert crashed.reason.endswith(
        "crashing: instances of the new version ended 3 times in a row "
        "(last: web.3 FAILED: exited with code 1)"
    )
    killed = advance(going, SPEC, "new", OLD, Failures(2, "web.3 KILLED", True), "", 31.0)
    assert "unhealthy: instances of the new version failed their health checks 2 times" in (
        killed.reason
    )
    no_room = advance(going, SPEC, "new", OLD, Failures(), "waiting for offers", 31.0)
    assert no_room.reason.endswith("no offers: waiting for offers")


def test_progress_moves_the_deadline_and_completion_ends_it() -> None:
    going = started(0.0)
    one = advance(going, SPEC, "new", [*OLD, inst(3, "new", True)], Failures(), "", 20.0)
    assert (one.state, one.progress_at, one.most_ready) == (DeploymentState.IN_PROGRESS, 20.0, 1)
    assert one.deadline(SPEC) == 50.0
    late = advance(one, SPEC, "new", [*OLD, inst(3, "new", True)], Failures(), "", 50.0)
    assert late.state == DeploymentState.FAILED
    done = [inst(3, "new", True), inst(4, "new", True), inst(1, "old", True, TaskState.KILLED)]
    complete = advance(late, SPEC, "new", done, Failures(), "", 60.0)
    assert complete.state == DeploymentState.COMPLETE and complete.reason == ""


def test_what_changed_is_said_field_by_field_leaving_out_instances() -> None:
    after = SPEC.model_copy(update={"instances": 5, "env": {"COLOR": "green"}, "image": "img2"})
    after = AppSpec.model_validate(after.model_dump())
    assert change_between(None, SPEC) == "created"
    assert change_between(SPEC, after) == "env.COLOR: (none) -> green; image: img -> img2"
    assert change_between(SPEC, SPEC) == "no change"
