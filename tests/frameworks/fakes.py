"""A SchedulerDriver that records the calls a scheduler makes, so that a
scheduler's decisions can be tested in-process: the test plays the master
(it calls the callbacks) and reads what the scheduler asked for."""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from frameworks.sdk import (
    Acceptance,
    CallRefusedError,
    Offer,
    Resources,
    SchedulerDriver,
    TaskSpec,
    TaskState,
    TaskStatus,
)
from offer.clock import ManualClock, TimerHandle

_offer_ids = itertools.count(1)


def offer(cpus: float = 2.0, mem: float = 1024.0, host: str = "host1") -> Offer:
    """A fresh offer (a new id each time) of one agent."""
    return Offer(f"offer-{next(_offer_ids)}", f"agent-{host}", host, Resources(cpus, mem))


def status(task: str | TaskSpec, state: TaskState, **fields: object) -> TaskStatus:
    """An update of `task` as the master would send it."""
    task_id = task if isinstance(task, str) else task.task_id
    return TaskStatus(task_id, "fw-1", "agent-host1", state, **fields)  # type: ignore[arg-type]


@dataclass
class FakeDriver:
    """Records every call. An accept or decline naming an offer of `gone` is
    refused (NOT_FOUND), as the master refuses a rescinded offer. Timers
    (`call_later`) run on `clock`, which the test moves on."""

    framework_id: str = "fw-1"
    resubscribed: bool = False
    gone: set[str] = field(default_factory=set)
    launched: list[TaskSpec] = field(default_factory=list)
    # Task id -> the (first) offer it was launched on.
    on_offer: dict[str, str] = field(default_factory=dict)
    declined: list[tuple[list[str], float | None]] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)
    reconciled: list[list[str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    clock: ManualClock = field(default_factory=ManualClock)
    _timer_jobs: set[asyncio.Future[None]] = field(default_factory=set, init=False, repr=False)

    def count(self, call: str) -> int:
        return self.calls.count(call)

    async def accept(
        self,
        offer_ids: Sequence[str],
        tasks: Sequence[TaskSpec],
        refuse_seconds: float | None = None,
    ) -> None:
        self.calls.append("accept")
        if self.gone.intersection(offer_ids):
            raise CallRefusedError("NOT_FOUND", f"no outstanding offer {sorted(offer_ids)}")
        self.launched += tasks
        self.on_offer.update({t.task_id: offer_ids[0] for t in tasks})

    async def accept_many(
        self, acceptances: Sequence[Acceptance], atomic: bool = False
    ) -> list[CallRefusedError | None]:
        assert not atomic, "the fake driver has no atomic accepts"
        results: list[CallRefusedError | None] = []
        for a in acceptances:
            try:
                await self.accept(a.offer_ids, a.tasks, a.refuse_seconds)
                results.append(None)
            except CallRefusedError as err:
                results.append(err)
        return results

    async def decline(self, offer_ids: Sequence[str], refuse_seconds: float | None = None) -> None:
        self.calls.append("decline")
        if self.gone.intersection(offer_ids):
            raise CallRefusedError("NOT_FOUND", f"offer {sorted(offer_ids)} is not outstanding")
        self.declined.append((list(offer_ids), refuse_seconds))

    async def revive(self) -> None:
        self.calls.append("revive")

    async def suppress(self) -> None:
        self.calls.append("suppress")

    async def kill(self, task_id: str) -> None:
        self.calls.append("kill")
        self.killed.append(task_id)

    async def reconcile(self, task_ids: Sequence[str] = ()) -> None:
        self.calls.append("reconcile")
        self.reconciled.append(list(task_ids))

    async def teardown(self) -> None:
        self.calls.append("teardown")

    def stop(self) -> None:
        self.calls.append("stop")

    def call_later(
        self, delay: float, callback: Callable[[], Awaitable[None] | None]
    ) -> TimerHandle:
        """Runs `callback` when `clock` passes the time (an async one is
        started then: `clock.advance` lets it run before it returns)."""
        return self.clock.call_later(delay, self._fire, callback)

    def _fire(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        result = callback()
        if inspect.isawaitable(result):
            job = asyncio.ensure_future(result)
            self._timer_jobs.add(job)
            job.add_done_callback(self._timer_jobs.discard)


def _conforms(driver: FakeDriver) -> SchedulerDriver:
    return driver  # mypy checks that the fake has every call of the protocol
