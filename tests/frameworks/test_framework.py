"""The SDK's Framework base in-process: a manual clock and a recording driver."""

from __future__ import annotations

from frameworks.sdk import Framework, TaskState, make_task
from offer.clock import ManualClock
from tests.frameworks.fakes import FakeDriver, status


class Ids:
    def __init__(self) -> None:
        self.saved: list[str] = []

    def save_framework_id(self, framework_id: str) -> None:
        self.saved.append(framework_id)


class Counting(Framework):
    def __init__(self, clock: ManualClock, ids: Ids) -> None:
        super().__init__(clock, ids)
        self.live = ["t1"]
        self.converged = 0

    def live_task_ids(self) -> list[str]:
        return self.live

    async def converge(self) -> None:
        self.converged += 1


async def test_a_subscription_saves_a_new_id_reconciles_and_converges() -> None:
    ids, driver = Ids(), FakeDriver()
    fw = Counting(ManualClock(), ids)
    await fw.subscribed(driver, "fw-1")
    await fw.subscribed(driver, "fw-1")  # a reconnect: the same id, not saved again
    assert ids.saved == ["fw-1"] and fw.framework_id == "fw-1"
    assert driver.reconciled == [["t1"], ["t1"]] and fw.converged == 2


async def test_the_wakeup_runs_converge_at_the_last_time_set() -> None:
    clock = ManualClock()
    fw = Counting(clock, Ids())
    fw.wakeup.at(clock() + 5)
    fw.wakeup.at(clock() + 2)  # replaces the 5
    await clock.advance(1.9)
    assert fw.converged == 0
    await clock.advance(0.1)
    await fw.wakeup.finished()
    assert fw.converged == 1 and fw.wakeup.when is None
    await clock.advance(10)
    assert fw.converged == 1
    fw.wakeup.at(clock() - 1)  # already past: at once
    await clock.advance(0)
    await fw.wakeup.finished()
    assert fw.converged == 2


async def test_a_kill_is_asked_once_until_it_ends_or_the_framework_resubscribes() -> None:
    fw, driver = Counting(ManualClock(), Ids()), FakeDriver()
    await fw.subscribed(driver, "fw-1")
    await fw.kill_tasks({"t1": "scaled down"})
    await fw.kill_tasks({"t1": "scaled down"})
    assert driver.killed == ["t1"]
    fw.kills.forget()
    await fw.kill_tasks({"t1": "scaled down"})
    assert driver.killed == ["t1", "t1"]
    fw.kills.ended("t1")
    assert "t1" not in fw.kills


async def test_a_stray_task_is_killed_while_it_lives() -> None:
    fw, driver = Counting(ManualClock(), Ids()), FakeDriver()
    await fw.subscribed(driver, "fw-1")
    await fw.stray(status("old", TaskState.RUNNING))
    await fw.stray(status("old", TaskState.KILLED))
    await fw.stray(status("gone", TaskState.FINISHED))
    assert driver.killed == ["old"] and "old" not in fw.kills


async def test_a_refused_launch_is_unrecorded() -> None:
    fw, driver = Counting(ManualClock(), Ids()), FakeDriver(gone={"o1"})
    book: list[str] = []

    async def record() -> None:
        book.append("t9")

    async def unrecord() -> None:
        book.remove("t9")

    task = make_task("t9", "img")
    assert not await fw.launch(driver, "o1", [task], record, unrecord)
    assert book == [] and driver.launched == []
    assert await fw.launch(driver, "o2", [task], record, unrecord)
    assert book == ["t9"] and driver.launched == [task]
