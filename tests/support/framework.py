"""A framework for tests, written on the public SDK: it records what the
master sends so that a test can await each event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from offer.frameworks.sdk import Driver, Offer, Resources, Scheduler, TaskSpec, TaskStatus
from tests.support.cluster import IMAGE

EVENT_TIMEOUT = 30.0


class Recorder(Scheduler):
    def __init__(self) -> None:
        self.framework_id = ""
        self.is_subscribed = asyncio.Event()
        self.offer_queue: asyncio.Queue[Offer] = asyncio.Queue()
        self.update_queue: asyncio.Queue[TaskStatus] = asyncio.Queue()
        self.updates: list[TaskStatus] = []
        self.rescinded: list[str] = []

    async def subscribed(self, driver: Driver, framework_id: str) -> None:
        self.framework_id = framework_id
        self.is_subscribed.set()

    async def offers(self, driver: Driver, offers: list[Offer]) -> None:
        for offer in offers:
            self.offer_queue.put_nowait(offer)

    async def rescind(self, driver: Driver, offer_id: str) -> None:
        self.rescinded.append(offer_id)

    async def update(self, driver: Driver, status: TaskStatus) -> None:
        self.updates.append(status)
        self.update_queue.put_nowait(status)

    async def next_offer(self, timeout: float = EVENT_TIMEOUT) -> Offer:
        return await asyncio.wait_for(self.offer_queue.get(), timeout)

    async def next_update(self, timeout: float = EVENT_TIMEOUT) -> TaskStatus:
        return await asyncio.wait_for(self.update_queue.get(), timeout)

    async def until_terminal(
        self, task_id: str, timeout: float = EVENT_TIMEOUT
    ) -> list[TaskStatus]:
        """Every update of `task_id` up to and including its terminal one."""
        seen = [u for u in self.updates if u.task_id == task_id]
        while not (seen and seen[-1].state.is_terminal):
            update = await self.next_update(timeout)
            if update.task_id == task_id:
                seen.append(update)
        return seen


@asynccontextmanager
async def framework(
    master: str, recorder: Recorder | None = None, name: str = "test", role: str = "*"
) -> AsyncIterator[tuple[Driver, Recorder]]:
    rec = recorder or Recorder()
    driver = Driver(rec, master=master, name=name, role=role)
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
    return TaskSpec(task_id, task_id, Resources(cpus, mem), image, ("sh", "-c", command))
