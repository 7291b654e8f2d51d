"""Two frameworks with equal demand on one agent end with equal dominant shares."""

from __future__ import annotations

import asyncio

from frameworks.sdk import CallRefusedError, Offer, SchedulerDriver, TaskStatus
from offer.tasks import TaskState
from tests.support.cluster import Cluster
from tests.support.framework import Recorder, framework, task

SLOTS = 8  # 2 cpus / 0.25 cpu per task


class OneAtATime(Recorder):
    """Launches one small long-running task per offer and hands the rest back."""

    def __init__(self, prefix: str, running: set[str], full: asyncio.Event) -> None:
        super().__init__()
        self.prefix = prefix
        self.launched = 0
        self.running, self.full = running, full

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        for offer in offers:
            if offer.resources.cpus >= 0.25 and offer.resources.mem >= 64:
                spec = task(f"{self.prefix}{self.launched + 1}", "sleep 300", cpus=0.25, mem=64)
                try:
                    await driver.accept([offer.offer_id], [spec], refuse_seconds=0)
                except CallRefusedError as err:
                    assert err.code == "NOT_FOUND"  # rescinded meanwhile: wait for the next
                    continue
                self.launched += 1
            else:
                await driver.decline([offer.offer_id], refuse_seconds=0)

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        await super().update(driver, status)
        if status.state == TaskState.RUNNING:
            self.running.add(status.task_id)
            if len(self.running) == SLOTS:
                self.full.set()


async def test_role_weights_scale_the_shares(cluster: Cluster) -> None:
    """prod weighs 3, batch 1: with equal demand prod ends with 3 times batch's share."""
    cluster.start_master("--weights", "prod=3,batch=1")
    cluster.start_agent()
    running: set[str] = set()
    full = asyncio.Event()
    prod, batch = OneAtATime("p", running, full), OneAtATime("b", running, full)
    async with (
        framework(cluster.address, prod, "prod-fw", role="prod"),
        framework(cluster.address, batch, "batch-fw", role="batch"),
    ):
        await asyncio.wait_for(full.wait(), 60)
        frameworks = {f.info.name: f for f in cluster.list("frameworks")}

    assert (prod.launched, batch.launched) == (6, 2)
    assert frameworks["prod-fw"].dominant_share == 0.75
    assert frameworks["batch-fw"].dominant_share == 0.25


async def test_equal_demand_gets_equal_dominant_shares(running_cluster: Cluster) -> None:
    running: set[str] = set()
    full = asyncio.Event()
    a, b = OneAtATime("a", running, full), OneAtATime("b", running, full)
    async with (
        framework(running_cluster.address, a, "fair-a"),
        framework(running_cluster.address, b, "fair-b"),
    ):
        await asyncio.wait_for(full.wait(), 60)
        frameworks = {f.info.name: f for f in running_cluster.list("frameworks")}

    assert a.launched == b.launched == SLOTS // 2
    assert frameworks["fair-a"].dominant_share == frameworks["fair-b"].dominant_share == 0.5
