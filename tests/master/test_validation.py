from __future__ import annotations

import pytest

from offer.master.validation import check_role, check_tasks
from offer.resources import Resources
from offer.tasks import TaskSpec

OFFER = Resources(2, 1024)


def spec(task_id: str = "t1", cpus: float = 1, mem: float = 64, image: str = "img") -> TaskSpec:
    return TaskSpec(task_id, task_id, Resources(cpus, mem), image)


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([spec(cpus=0)], "resources.cpus must be > 0"),
        ([spec(mem=4)], "resources.mem must be at least 6 MiB"),
        ([spec(cpus=float("nan"))], "must be finite numbers"),
        ([spec(image=" ")], "container.image is empty"),
        ([spec(task_id="bad id!")], "task_id 'bad id!' is malformed"),
        ([spec(), spec()], "appears twice"),
        ([spec("a", cpus=1.5), spec("b", cpus=1)], "cpus 2.5 > 2"),
    ],
)
def test_bad_launches_are_named(specs: list[TaskSpec], message: str) -> None:
    problem = check_tasks(specs, OFFER, used=lambda _: False)
    assert problem is not None and message in problem


def test_good_launch_and_used_ids() -> None:
    assert check_tasks([spec("a"), spec("b")], OFFER, used=lambda _: False) is None
    problem = check_tasks([spec("a")], OFFER, used=lambda tid: tid == "a")
    assert problem is not None and "already used" in problem


def test_roles() -> None:
    assert check_role("*") is None
    assert check_role("prod.web") is None
    assert "malformed" in (check_role("-x") or "")
    assert "malformed" in (check_role("a b") or "")
