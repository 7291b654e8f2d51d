"""The SDK driver against a real master."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

import pytest

from frameworks.sdk import Driver, Offer, SchedulerDriver, TaskStatus
from offer.clock import ManualClock
from offer.tasks import TaskState
from offer.v1 import operator_pb2, operator_pb2_grpc
from tests.support.cluster import Cluster, wait_for
from tests.support.framework import Recorder, framework, task


class Disconnects(Recorder):
    """Also records when the driver gives up on a stream."""

    def __init__(self) -> None:
        super().__init__()
        self.disconnects = 0

    async def disconnected(self, driver: SchedulerDriver) -> None:
        self.disconnects += 1
        await self._note()


async def test_a_silent_master_is_noticed_by_missing_heartbeats(cluster: Cluster) -> None:
    """SIGSTOP keeps the connection open but stops every event: only the
    heartbeat watch can tell. After SIGCONT the driver has re-subscribed."""
    master = cluster.start_master("--heartbeat-interval", "0.3")
    rec = Disconnects()
    async with framework(cluster.address, rec):
        assert rec.subscriptions == 1
        master.popen.send_signal(signal.SIGSTOP)
        try:
            # The stream is still open: only the silence can end it.
            await rec.until(lambda: rec.disconnects == 1, timeout=20)
        finally:
            master.popen.send_signal(signal.SIGCONT)
        await rec.until(lambda: rec.subscriptions == 2, timeout=20)
        assert rec.framework_id  # the same framework, re-subscribed with its id


class Together(Recorder):
    """Takes the updates that arrive together in one call."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[TaskStatus]] = []

    async def update_many(self, driver: SchedulerDriver, statuses: list[TaskStatus]) -> None:
        self.batches.append(statuses)
        for status in statuses:
            await self.update(driver, status)


async def test_updates_that_arrive_together_reach_update_many_as_one(
    running_cluster: Cluster,
) -> None:
    rec = Together()
    async with framework(running_cluster.address, rec) as (driver, _):
        # One accept of three tasks: the agent reports their STARTING at once.
        await rec.launch(driver, *(task(f"t{i}", "sleep 30") for i in range(3)))
        for i in range(3):
            await rec.until_state(f"t{i}", TaskState.RUNNING)
        starting = [
            sorted(s.task_id for s in batch if s.state == TaskState.STARTING)
            for batch in rec.batches
        ]
        assert ["t0", "t1", "t2"] in starting
        for i in range(3):
            await driver.kill(f"t{i}")
        for i in range(3):
            await rec.until_state(f"t{i}", TaskState.KILLED)


class Crashes(Recorder):
    """An `offers` callback that accepts one offer, then raises."""

    def __init__(self) -> None:
        super().__init__()
        self.crashes = 0

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        await super().offers(driver, offers)
        self.crashes += 1
        raise RuntimeError("a bug in the framework")


async def test_offers_a_raising_callback_leaves_are_declined(cluster: Cluster) -> None:
    """Without the driver they would be held until the master's offer timeout
    (made long here): nobody else could use those resources meanwhile."""
    cluster.start_master("--offer-timeout", "600")
    cluster.start_agent()
    rec = Crashes()
    async with framework(cluster.address, rec) as (driver, _):
        await rec.until(lambda: rec.crashes >= 1)
        with cluster.security.channel(cluster.address) as channel:
            stub = operator_pb2_grpc.OperatorStub(channel)

            def none_held() -> bool:
                request = operator_pb2.ListOffersRequest(framework_id=driver.framework_id)
                return not stub.ListOffers(request, timeout=5).offers

            await asyncio.to_thread(wait_for, none_held, 20, "the offers to be declined")


class TearsDownOnceStarted(Recorder):
    """Tears the framework down from `update`, once its three tasks started."""

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        await super().update(driver, status)
        started = {u.task_id for u in self.updates if u.state == TaskState.STARTING}
        if len(started) == 3 and self.framework_id:
            self.framework_id = ""  # once
            await driver.teardown()


async def test_a_teardown_from_a_callback_drops_pending_acknowledgements(
    running_cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """The three STARTING updates arrive together: the first two are waiting
    to be acknowledged when the third's callback tears the framework down.
    Sent after the teardown they could only fail, logging a false alarm."""
    caplog.set_level(logging.INFO, logger="frameworks.sdk")
    rec = TearsDownOnceStarted()
    async with framework(running_cluster.address, rec) as (driver, _):
        await rec.launch(driver, *(task(f"t{i}", "sleep 30") for i in range(3)))
        await rec.until(lambda: not rec.framework_id)
    [listed] = running_cluster.list("frameworks")
    assert listed.removed
    assert "acknowledging" not in caplog.text


async def test_offers_carry_their_arrival_time_and_a_failover_says_it_resubscribed(
    cluster: Cluster,
) -> None:
    cluster.start_master()
    cluster.start_agent()
    clock = ManualClock(start=1_000.0)
    first = Recorder()
    driver = Driver(first, master=cluster.address, clock=clock, failover_timeout=60)
    running = asyncio.create_task(driver.run())
    offer = await first.next_offer()
    assert offer.received_at == 1_000.0  # the driver's clock, not the wall's
    assert driver.resubscribed is False  # a new framework: nothing of it runs yet
    driver.stop()
    await running
    # A new process that passes the saved id takes the framework over.
    async with framework(cluster.address, framework_id=first.framework_id) as (again, rec):
        assert rec.framework_id == first.framework_id
        assert again.resubscribed is True


class Timed(Recorder):
    """Records, in order, the timers that ran and the updates received."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[str] = []

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        self.order.append(f"update {status.task_id}")
        await super().update(driver, status)


async def test_call_later_runs_on_the_drivers_clock_one_at_a_time_with_events(
    cluster: Cluster,
) -> None:
    """A timer runs when the driver's (manual) clock reaches it, not before;
    a cancelled one never; and an event arriving while a timer's callback
    runs waits for it to end."""
    cluster.start_master()
    clock = ManualClock()
    rec = Timed()
    async with framework(cluster.address, rec, clock=clock) as (driver, _):
        release = asyncio.Event()

        async def slow() -> None:
            rec.order.append("slow timer")
            # An update is asked for while this runs: it must wait.
            await driver.reconcile(["never-launched"])
            await release.wait()
            rec.order.append("slow timer ends")

        driver.call_later(5, slow)
        driver.call_later(3, lambda: rec.order.append("sync timer")).cancel()
        driver.call_later(2, lambda: rec.order.append("sync timer"))
        await clock.advance(1.9)
        assert rec.order == []
        await clock.advance(0.1)
        assert rec.order == ["sync timer"]
        events = driver._events
        await clock.advance(3)
        # The reconcile's answer has reached the driver (it counts events as
        # they arrive), and waits for the timer's callback.
        await _until(lambda: driver._events > events)
        assert rec.order == ["sync timer", "slow timer"]
        release.set()
        await rec.until_state("never-launched", TaskState.UNKNOWN)
        assert rec.order == ["sync timer", "slow timer", "slow timer ends", "update never-launched"]


async def _until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Polls what nothing signals (the driver's event count), for at most
    `timeout` seconds (a guard against a hang, not a measure)."""
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never held")
