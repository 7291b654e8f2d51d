"""A framework for tests, written on the public SDK: it records what the
master sends so that a test can await each event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from frameworks.sdk import (
    CallRefusedError,
    Driver,
    Offer,
    Resources,
    Scheduler,
    SchedulerDriver,
    TaskSpec,
    TaskStatus,
)
from offer.clock import Clock
from offer.security.client import ClientSecurity
from offer.tasks import TaskState
from tests.support.cluster import IMAGE

EVENT_TIMEOUT = 30.0


class Recorder(Scheduler):
    def __init__(self) -> None:
        self.framework_id = ""
        self.is_subscribed = asyncio.Event()
        self.subscriptions = 0
        self.offer_queue: asyncio.Queue[Offer] = asyncio.Queue()
        self.offers_seen: list[Offer] = []
        self.update_queue: asyncio.Queue[TaskStatus] = asyncio.Queue()
        self.updates: list[TaskStatus] = []
        self.rescinded: list[str] = []
        self.failures: list[str] = []
        self.errors: list[str] = []
        self._changed = asyncio.Condition()

    async def _note(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def until(self, predicate: Callable[[], object], timeout: float = EVENT_TIMEOUT) -> None:
        """Waits, without polling, until `predicate()` holds after some event."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def subscribed(self, driver: SchedulerDriver, framework_id: str) -> None:
        self.framework_id = framework_id
        self.subscriptions += 1
        self.is_subscribed.set()
        await self._note()

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        for offer in offers:
            self.offer_queue.put_nowait(offer)
            self.offers_seen.append(offer)
        await self._note()

    async def rescind(self, driver: SchedulerDriver, offer_id: str) -> None:
        self.rescinded.append(offer_id)
        await self._note()

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        self.updates.append(status)
        self.update_queue.put_nowait(status)
        await self._note()

    async def failure(self, driver: SchedulerDriver, agent_id: str) -> None:
        self.failures.append(agent_id)
        await self._note()

    async def error(self, driver: SchedulerDriver, message: str) -> None:
        self.errors.append(message)
        await self._note()

    async def next_offer(self, timeout: float = EVENT_TIMEOUT) -> Offer:
        return await asyncio.wait_for(self.offer_queue.get(), timeout)

    async def next_update(self, timeout: float = EVENT_TIMEOUT) -> TaskStatus:
        return await asyncio.wait_for(self.update_queue.get(), timeout)

    async def launch(self, driver: SchedulerDriver, *specs: TaskSpec) -> Offer:
        """Accepts the next offer that fits `specs`, skipping offers that were
        rescinded before the accept reached the master (as a real framework must)."""
        need = sum((s.resources for s in specs), Resources())
        while True:
            offer = await self.next_offer()
            if not offer.resources.contains(need):
                await driver.decline([offer.offer_id], refuse_seconds=0)
                continue
            try:
                await driver.accept([offer.offer_id], list(specs))
                return offer
            except CallRefusedError as err:
                if err.code != "NOT_FOUND":
                    raise

    def latest(self, task_id: str) -> TaskStatus | None:
        mine = [u for u in self.updates if u.task_id == task_id]
        return mine[-1] if mine else None

    async def until_state(
        self, task_id: str, *states: object, timeout: float = EVENT_TIMEOUT
    ) -> TaskStatus:
        """Waits for an update of `task_id` in one of `states`; returns it."""

        def reached() -> bool:
            return any(u.task_id == task_id and u.state in states for u in self.updates)

        await self.until(reached, timeout)
        return next(u for u in reversed(self.updates) if u.task_id == task_id and u.state in states)

    async def until_terminal(
        self, task_id: str, timeout: float = EVENT_TIMEOUT
    ) -> list[TaskStatus]:
        """Every update of `task_id` up to and including its terminal one."""
        await self.until(
            lambda: any(u.task_id == task_id and u.state.is_terminal for u in self.updates), timeout
        )
        seen = []
        for u in self.updates:
            if u.task_id == task_id:
                seen.append(u)
                if u.state.is_terminal:
                    break
        return seen


class Greedy(Recorder):
    """Launches as many long tasks of cpus x mem as fit in every offer it
    gets (ids `prefix`1, 2, ...), and keeps each batch of offers as it came
    (one OFFERS event: one cycle's)."""

    def __init__(self, prefix: str, cpus: float = 0.5, mem: float = 256.0) -> None:
        super().__init__()
        self.prefix, self.cpus, self.mem = prefix, cpus, mem
        self.batches: list[list[Offer]] = []
        self.launched = 0
        self.running: set[str] = set()

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        self.batches.append(list(offers))
        for offer in offers:
            fit = int(min(offer.resources.cpus / self.cpus, offer.resources.mem / self.mem))
            specs = []
            for _ in range(fit):
                self.launched += 1
                specs.append(
                    task(f"{self.prefix}{self.launched}", "sleep 300", self.cpus, self.mem)
                )
            try:
                if specs:
                    await driver.accept([offer.offer_id], specs)
                else:
                    await driver.decline([offer.offer_id])
            except CallRefusedError as err:
                assert err.code == "NOT_FOUND"  # rescinded meanwhile
        await super().offers(driver, offers)

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        if status.state == TaskState.RUNNING:
            self.running.add(status.task_id)
        await super().update(driver, status)

    @property
    def seen(self) -> list[Offer]:
        return [o for batch in self.batches for o in batch]

    def offered(self) -> Resources:
        return sum((o.resources for o in self.seen), Resources())

    def reserved(self) -> Resources:
        """What of its offers was reserved for its role."""
        return sum((o.reserved for o in self.seen), Resources())


@asynccontextmanager
async def framework(
    master: str,
    recorder: Recorder | None = None,
    name: str = "test",
    role: str = "*",
    failover_timeout: float = 0.0,
    framework_id: str = "",
    security: ClientSecurity | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[tuple[Driver, Recorder]]:
    """A subscribed framework; leaving the block disconnects it (it stays
    registered until its failover timeout)."""
    rec = recorder or Recorder()
    driver = Driver(
        rec,
        master=master,
        name=name,
        role=role,
        failover_timeout=failover_timeout,
        framework_id=framework_id,
        security=security,
        clock=clock,
    )
    running = asyncio.create_task(driver.run())
    try:
        await asyncio.wait_for(rec.is_subscribed.wait(), EVENT_TIMEOUT)
        yield driver, rec
    finally:
        driver.stop()
        await asyncio.wait_for(running, EVENT_TIMEOUT)


def task(
    task_id: str,
    command: str = "exit 0",
    cpus: float = 0.1,
    mem: float = 32,
    image: str = IMAGE,
) -> TaskSpec:
    # busybox sh ignores SIGTERM as PID 1, so a kill always waits out the
    # grace period: keep it short.
    return TaskSpec(
        task_id, task_id, Resources(cpus, mem), image, ("sh", "-c", command), kill_grace_seconds=0.2
    )
