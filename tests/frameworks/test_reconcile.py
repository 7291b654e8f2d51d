"""The SDK's Reconciliation, driven by the recording fake driver on a
manual clock (the test plays the master's answers)."""

from __future__ import annotations

from frameworks.sdk import CallRefusedError, Reconciliation, TaskState
from offer.backoff import Backoff
from tests.frameworks.fakes import FakeDriver, status


def no_jitter(driver: FakeDriver) -> Backoff:
    return Backoff(1.0, 4.0, jitter=0.0, clock=driver.clock)


async def test_asks_again_with_backoff_until_each_answers_then_implicitly() -> None:
    driver = FakeDriver()
    round_ = Reconciliation(driver, ["b", "a"], backoff=no_jitter(driver))
    await round_.start()
    assert driver.reconciled == [["a", "b"]]
    await round_.update(status("a", TaskState.RUNNING))
    await driver.clock.advance(0.9)
    assert driver.reconciled == [["a", "b"]]
    await driver.clock.advance(0.1)  # 1 s: only the silent one is asked about
    assert driver.reconciled == [["a", "b"], ["b"]]
    await driver.clock.advance(2)  # then 2 s later
    await driver.clock.advance(4)  # then 4 s (the most)
    await driver.clock.advance(4)
    assert driver.reconciled == [["a", "b"]] + [["b"]] * 4
    assert not round_.done
    await round_.update(status("b", TaskState.UNKNOWN))
    assert round_.done
    assert driver.reconciled[-1] == []  # implicit: every live task
    await driver.clock.advance(60)
    assert driver.reconciled == [["a", "b"]] + [["b"]] * 4 + [[]]
    assert driver.clock.pending == 0


async def test_nothing_recorded_is_implicit_at_once() -> None:
    driver = FakeDriver()
    round_ = Reconciliation(driver, [])
    await round_.start()
    assert round_.done and driver.reconciled == [[]]


class Unreachable(FakeDriver):
    async def reconcile(self, task_ids: object = ()) -> None:
        self.calls.append("reconcile")
        raise CallRefusedError("UNAVAILABLE", "no master")


async def test_a_refused_request_is_retried_and_a_cancelled_round_stops() -> None:
    driver = Unreachable()
    round_ = Reconciliation(driver, ["a"], backoff=no_jitter(driver))
    await round_.start()
    await driver.clock.advance(1)
    assert driver.count("reconcile") == 2
    round_.cancel()
    await driver.clock.advance(60)
    assert driver.count("reconcile") == 2
