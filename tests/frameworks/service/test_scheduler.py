"""offer-service's scheduler in-process: a manual clock, a recording driver
and its real store on a temporary SQLite file. The test plays the master."""

from __future__ import annotations

from pathlib import Path

from frameworks.sdk import TaskState
from frameworks.service.scheduler import ServiceScheduler
from frameworks.service.spec import AppSpec
from frameworks.service.store import ServiceStore
from offer.clock import ManualClock
from tests.frameworks.fakes import FakeDriver, offer, status

CRASHER = AppSpec(
    id="web", image="img", backoff_seconds=1, backoff_factor=2, max_launch_delay_seconds=3
)


async def started(tmp_path: Path, clock: ManualClock, driver: FakeDriver) -> ServiceScheduler:
    scheduler = ServiceScheduler(ServiceStore(f"sqlite:///{tmp_path / 's.db'}"), clock)
    await scheduler.load()
    await scheduler.subscribed(driver, "fw-1")
    return scheduler


async def test_a_crash_looping_app_waits_longer_after_each_failure(tmp_path: Path) -> None:
    clock, driver = ManualClock(), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.deploy([CRASHER])
    assert driver.count("revive") == 1

    for delay in (1.0, 2.0, 3.0, 3.0):  # 1 s, x2 each failure, at most 3 s
        await scheduler.offers(driver, [offer()])
        crashed = driver.launched[-1]
        await scheduler.update(driver, status(crashed, TaskState.FAILED, exit_code=1))
        assert scheduler.wakeup.when == clock() + delay
        assert "backing off" in scheduler.waiting["web"]

        # While it backs off, offers are declined until the backoff ends...
        launches, revives = len(driver.launched), driver.count("revive")
        await scheduler.offers(driver, [offer()])
        assert len(driver.launched) == launches
        assert driver.declined[-1][1] == delay
        # ...and offers are revived when it ends, not before.
        await clock.advance(delay - 0.1)
        assert driver.count("revive") == revives
        await clock.advance(0.1)
        assert driver.count("revive") == revives + 1

    # A ready instance ends the crash loop: the next failure waits 1 s again.
    await scheduler.offers(driver, [offer()])
    healthy = driver.launched[-1]
    await scheduler.update(driver, status(healthy, TaskState.RUNNING))
    assert scheduler.apps["web"].failures == 0
    await scheduler.update(driver, status(healthy, TaskState.FAILED, exit_code=1))
    assert scheduler.wakeup.when == clock() + 1.0


async def test_a_restart_reconciles_and_launches_nothing_again(tmp_path: Path) -> None:
    clock, driver = ManualClock(), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.deploy([AppSpec(id="web", image="img", instances=3)])
    await scheduler.offers(driver, [offer()])
    assert len(driver.launched) == 3
    for task in driver.launched:
        await scheduler.update(driver, status(task, TaskState.RUNNING))

    # A new process on the same store: it asks the master about every
    # instance it launched, and wants no offer.
    again = FakeDriver()
    restarted = await started(tmp_path, clock, again)
    assert sorted(again.reconciled[0]) == sorted(t.task_id for t in driver.launched)
    assert again.count("revive") == 0
    await restarted.offers(again, [offer()])
    assert again.launched == [] and again.calls[-2:] == ["decline", "suppress"]


async def test_an_instance_is_forgotten_when_its_launch_is_refused(tmp_path: Path) -> None:
    clock, driver = ManualClock(), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.deploy([AppSpec(id="web", image="img")])
    rescinded = offer()
    driver.gone.add(rescinded.offer_id)
    await scheduler.offers(driver, [rescinded])
    assert scheduler.instances == {}
    assert ServiceStore(f"sqlite:///{tmp_path / 's.db'}").load()[2] == []
    await scheduler.offers(driver, [offer()])
    [task] = driver.launched
    assert list(scheduler.instances) == [task.task_id]


async def test_an_app_whose_task_cannot_be_sent_waits_saying_why_and_others_launch(
    tmp_path: Path,
) -> None:
    """A lone surrogate passes the schema (a str) but is no UTF-8: the task
    cannot be sent. It is found before the accept, so the other app's task
    on the same offer launches; a redeploy clears it."""
    clock, driver = ManualClock(), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    bad = AppSpec(id="bad", image="img", env={"X": "\ud800"})
    await scheduler.deploy([bad, AppSpec(id="good", image="img")])
    await scheduler.offers(driver, [offer()])
    assert [t.name for t in driver.launched] == ["good"]
    assert scheduler.waiting["bad"].startswith("cannot launch: task cannot be sent to the master")
    assert [i.app_id for i in scheduler.instances.values()] == ["good"]
    # Left out from then on: offers are not wanted for it.
    await scheduler.offers(driver, [offer()])
    assert len(driver.launched) == 1 and driver.calls[-2:] == ["decline", "suppress"]
    await scheduler.deploy([AppSpec(id="bad", image="img")])
    await scheduler.offers(driver, [offer()])
    assert [t.name for t in driver.launched] == ["good", "bad"]


async def test_a_refused_decline_does_not_stop_the_callback(tmp_path: Path) -> None:
    clock, driver = ManualClock(), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    rescinded = offer()
    driver.gone.add(rescinded.offer_id)
    await scheduler.offers(driver, [rescinded])  # declined: refused, logged
    assert driver.calls[-2:] == ["decline", "suppress"]


async def test_a_removed_app_leaves_no_instance_behind(tmp_path: Path) -> None:
    clock, driver = ManualClock(), FakeDriver()
    scheduler = await started(tmp_path, clock, driver)
    await scheduler.deploy([AppSpec(id="web", image="img", instances=2)])
    await scheduler.offers(driver, [offer()])
    first, second = driver.launched
    await scheduler.update(driver, status(first, TaskState.FAILED, exit_code=1))
    await scheduler.update(driver, status(second, TaskState.RUNNING))

    await scheduler.remove("web")
    # The ended one at once; the live one once its kill ends it.
    assert [i.task_id for i in scheduler.instances_of("web")] == [second.task_id]
    await scheduler.update(driver, status(second, TaskState.KILLED))
    assert scheduler.instances_of("web") == []
    restarted = await started(tmp_path, clock, FakeDriver())
    assert restarted.instances == {}
