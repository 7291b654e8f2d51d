"""Load-test frameworks: each subscribes over real gRPC, fills every offer
with as many tasks as fit while there is demand, declines the rest, and
acknowledges every update, as a framework on the SDK would."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass

import grpc

from bench.load.stats import Recorder
from frameworks.sdk.acks import AckBatcher
from offer.grpc_options import KEEPALIVE_OPTIONS
from offer.v1 import common_pb2 as common
from offer.v1 import scheduler_pb2 as pb
from offer.v1 import scheduler_pb2_grpc

TASK_MEM = 64.0
# When a framework has nothing to launch it declines for this long (and
# suppresses), as a framework with no pending work would.
IDLE_REFUSE_SECONDS = 3600.0


@dataclass
class Demand:
    """Tasks a framework still wants: `remaining` None means without end.
    Each holds `task_cpus` and runs `task_seconds` on average (inf: until
    the end): between none and twice as long, uniformly, so that tasks
    launched together do not end together and resources are freed as a flow
    instead of in waves."""

    task_seconds: float
    task_cpus: float
    remaining: int | None = None
    # Which demand a take came from: tasks of an earlier one that come back
    # are not the current demand's to run.
    epoch: int = 0

    def take(self, wanted: int) -> int:
        if self.remaining is None:
            return wanted
        granted = min(wanted, self.remaining)
        self.remaining -= granted
        return granted

    def switch(self, task_seconds: float, task_cpus: float, remaining: int | None) -> None:
        self.task_seconds, self.task_cpus, self.remaining = task_seconds, task_cpus, remaining
        self.epoch += 1

    def give_back(self, count: int, epoch: int) -> bool:
        """Tasks whose accept failed are wanted again; True if this demand
        took them back (they came from it, and it has an end)."""
        if self.remaining is not None and count and epoch == self.epoch:
            self.remaining += count
            return True
        return False


def tasks_that_fit(resources: common.Resources, task_cpus: float) -> int:
    return int(min(resources.cpus / task_cpus + 1e-9, resources.mem / TASK_MEM + 1e-9))


class LoadFramework:
    def __init__(
        self, master: str, name: str, role: str, demand: Demand, recorder: Recorder
    ) -> None:
        self._channel = grpc.aio.insecure_channel(master, options=KEEPALIVE_OPTIONS)
        self._stub = scheduler_pb2_grpc.SchedulerStub(self._channel)
        self._info = common.FrameworkInfo(name=name, role=role, user="bench")
        self.demand = demand
        self._recorder = recorder
        self._ids = itertools.count()
        self._random = random.Random(name)  # the same durations in every run
        self._jobs: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._idle = False  # declined for want of demand, since the last revive
        self._suppressed = False
        self._accepting = 0  # AcceptMany calls in flight
        self._calls = asyncio.Lock()  # declines, suppress and revive, in order
        self._acks = AckBatcher(self._acknowledge)
        self.framework_id = ""
        # RUNNING updates received, by the demand (epoch) their tasks came from.
        self.running: Counter[str] = Counter()
        self.errors = 0
        self.last_error = ""
        self._closing = False

    async def start(self) -> None:
        call = self._stub.Subscribe(pb.SubscribeRequest(framework=self._info))
        subscribed = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(call, subscribed))
        self.framework_id = await subscribed

    async def _read(self, call: grpc.aio.UnaryStreamCall, subscribed: asyncio.Future[str]) -> None:
        try:
            async for event in call:
                kind = event.WhichOneof("event")
                if kind == "offers":
                    self._on_offers(event.offers.offers)
                elif kind == "update":
                    for status in event.update.statuses:
                        self._recorder.update_received(status.timestamp)
                        if status.state == common.TASK_RUNNING:
                            self.running[status.task_id.partition("-")[0]] += 1
                        if status.uuid:
                            self._acks.add(status.uuid)
                elif kind == "subscribed":
                    subscribed.set_result(event.subscribed.framework_id)
        except grpc.aio.AioRpcError:
            pass

    def _spawn(self, job: object) -> None:
        task = asyncio.ensure_future(job)  # type: ignore[call-overload]
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    def _on_offers(self, offers: list[common.Offer]) -> None:
        """Fills every offer it has demand for, all in one AcceptMany (as a
        framework answering many offers at once should), and declines the rest."""
        accepts, idle = [], []
        demand = self.demand
        for offer in offers:
            self._recorder.offered(offer.agent_id, offer.resources.cpus)
            count = demand.take(tasks_that_fit(offer.resources, demand.task_cpus))
            if count:
                # The task's shape is read with the demand, so that a task
                # taken before the demand changed keeps the old one.
                tasks = [self._task(demand.task_seconds, demand.task_cpus) for _ in range(count)]
                accepts.append(
                    pb.AcceptRequest(
                        offer_ids=[offer.offer_id],
                        operations=[pb.Operation(launch=pb.Launch(tasks=tasks))],
                    )
                )
            else:
                idle.append(offer.offer_id)
        if accepts:
            self._accepting += 1
            self._spawn(self._accept(accepts, demand.epoch))
        if idle:
            self._idle = True
            self._spawn(self._decline(idle))

    def _task(self, task_seconds: float, task_cpus: float) -> common.TaskInfo:
        seconds = self._duration(task_seconds)
        return common.TaskInfo(
            task_id=f"{self.demand.epoch}-{next(self._ids)}",
            resources=common.Resources(cpus=task_cpus, mem=TASK_MEM),
            container=common.ContainerSpec(image="load", command=["sleep", f"{seconds:g}"]),
        )

    async def _accept(self, accepts: list[pb.AcceptRequest], epoch: int) -> None:
        request = pb.AcceptManyRequest(framework_id=self.framework_id, accepts=accepts)
        try:
            response = await self._stub.AcceptMany(request)
        except grpc.aio.AioRpcError as err:
            self._failed(err)
            self._give_back(sum(len(a.operations[0].launch.tasks) for a in accepts), epoch)
            return
        finally:
            self._accepting -= 1
        for accept, result in zip(accepts, response.results, strict=True):
            if result.code != "OK":  # rescinded meanwhile: the tasks wait for the next offer
                self._refused(result.message or result.code)
                self._give_back(len(accept.operations[0].launch.tasks), epoch)

    def _duration(self, mean: float) -> float:
        return mean if math.isinf(mean) else self._random.uniform(0, 2 * mean)

    async def _decline(self, offer_ids: list[str]) -> None:
        request = pb.DeclineRequest(
            framework_id=self.framework_id,
            offer_ids=offer_ids,
            filters=common.Filters(refuse_seconds=IDLE_REFUSE_SECONDS),
        )
        async with self._calls:
            try:
                await self._stub.Decline(request)
                # Suppressing drops this framework's offers, those it is
                # accepting too: only once no accept is in flight.
                if self._idle and not self._suppressed and not self._accepting:
                    await self._stub.Suppress(pb.SuppressRequest(framework_id=self.framework_id))
                    self._suppressed = True
            except grpc.aio.AioRpcError as err:
                self._failed(err)

    def _give_back(self, count: int, epoch: int) -> None:
        """Work came back: offers again, from every agent, if it had gone idle
        meanwhile (a real framework revives when it has work again)."""
        if self.demand.give_back(count, epoch) and self._idle:
            self._idle = False
            self._spawn(self._revive())

    async def _revive(self) -> None:
        # After the declines and suppression before it, never overtaken by them.
        async with self._calls:
            try:
                await self._stub.Revive(pb.ReviveRequest(framework_id=self.framework_id))
                self._suppressed = False
            except grpc.aio.AioRpcError as err:
                self._failed(err)

    async def _acknowledge(self, uuids: list[str]) -> None:
        """Updates that arrived together, acknowledged in one call (as the SDK does)."""
        try:
            await self._stub.Acknowledge(
                pb.AcknowledgeRequest(framework_id=self.framework_id, uuids=uuids)
            )
        except grpc.aio.AioRpcError as err:
            self._failed(err)

    def _failed(self, err: grpc.aio.AioRpcError) -> None:
        # Calls cut short by close() are not failures; a call cancelled
        # during the run is (its offers stay outstanding until they expire).
        if not (self._closing and err.code() == grpc.StatusCode.CANCELLED):
            self._refused(f"{err.code().name}: {err.details() or ''}")

    def _refused(self, why: str) -> None:
        self.errors += 1
        self.last_error = why

    async def close(self) -> None:
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
        for job in list(self._jobs):
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
        await self._channel.close()
