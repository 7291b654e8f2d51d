"""A Scheduler for a framework that keeps its own records of its tasks: the
plumbing offer-service and offer-batch share, for any framework to build on.

`Framework` does what every such framework must get right, so that a
subclass keeps only its own decisions:

- on each subscription it saves a new framework id (in the `ids` store it
  was given, or by an overridden `save_framework_id`),
  asks the master for the state of every task it believes live
  (`live_task_ids`) and converges;
- `converge()` (the subclass's "act on what needs no offer") also runs at
  the time given to `wakeup.at(...)`, on the injected clock;
- `kill_tasks` asks for each kill once and logs a refusal;
- `launch` writes the records of the tasks first, then accepts, and drops
  the records again if the master refuses (nothing was launched);
- `stray` kills a task the master reports that no live record knows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Protocol

from frameworks.sdk.interface import CallRefusedError, SchedulerDriver
from frameworks.sdk.scheduler import Scheduler
from offer.clock import Clock, SystemClock, TimerHandle
from offer.tasks import TaskSpec, TaskStatus

log = logging.getLogger(__name__)


class FrameworkIdStore(Protocol):
    def save_framework_id(self, framework_id: str) -> None:
        """Persists the framework id, durably when it returns. It may block:
        it is run in a thread."""
        ...


class Kills:
    """The tasks this framework has asked the master to kill. Each is asked
    for once, until its end is seen (`ended`) or the framework re-subscribes
    (`forget`: a kill sent before a disconnect may never have arrived)."""

    def __init__(self) -> None:
        self._asked: set[str] = set()

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._asked

    def ended(self, task_id: str) -> None:
        self._asked.discard(task_id)

    def forget(self) -> None:
        self._asked.clear()

    async def send(self, driver: SchedulerDriver, kills: Mapping[str, str]) -> None:
        """Kills each task not asked for yet (task id -> why, for the log).
        A refusal is logged: the task's next update says how it ended."""
        for task_id, why in kills.items():
            if task_id in self._asked:
                continue
            self._asked.add(task_id)
            log.info("killing %s: %s", task_id, why, extra={"task_id": task_id})
            try:
                await driver.kill(task_id)
            except CallRefusedError as err:
                log.warning("kill of %s refused: %s", task_id, err)


class Wakeup:
    """One timer on the clock that starts `job` at a given time. Setting it
    again replaces the time; the running job is referenced until it ends (a
    task nobody references may be collected mid-way)."""

    def __init__(self, clock: Clock, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._clock = clock
        self._job = job
        self._timer: TimerHandle | None = None
        self._running: set[asyncio.Future[None]] = set()
        self.when: float | None = None

    def at(self, when: float | None) -> None:
        """Runs the job at `when` (Unix seconds; at once if past), instead of
        at any time set before. None: not at all."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.when = when
        if when is not None:
            self._timer = self._clock.call_later(when - self._clock(), self._start)

    async def finished(self) -> None:
        """Returns once the jobs the timer started have ended (a test that
        moved a manual clock awaits this before it looks)."""
        while self._running:
            await asyncio.wait(self._running)

    def _start(self) -> None:
        self._timer, self.when = None, None
        job = asyncio.ensure_future(self._job())
        self._running.add(job)
        job.add_done_callback(self._ended)

    def _ended(self, job: asyncio.Future[None]) -> None:
        self._running.discard(job)
        if not job.cancelled() and job.exception() is not None:
            log.error("a wake-up job failed", exc_info=job.exception())


# Refusals of an accept that are about its tasks, not its offer: launching
# them on another offer would be refused the same way.
TASKS_AT_FAULT = frozenset({"PERMISSION_DENIED", "INVALID_ARGUMENT", "ALREADY_EXISTS"})


class Framework(Scheduler):
    """A Scheduler with its own records: see the module docstring. Give it
    the clock and where to keep the framework id; override `live_task_ids`,
    `converge` and the callbacks you need (call `super().subscribed(...)`
    if you override `subscribed`)."""

    def __init__(self, clock: Clock | None = None, ids: FrameworkIdStore | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._ids = ids
        self.framework_id = ""
        # Set by the first subscription; the calls converge() makes go here.
        self.driver: SchedulerDriver | None = None
        self.kills = Kills()
        self.wakeup = Wakeup(self.clock, self.converge)

    # ------------------------------------------------- what a subclass gives

    async def save_framework_id(self, framework_id: str) -> None:
        """Persists a framework id the master gave (first subscription, or a
        new one after the old was torn down): in `ids`, if given."""
        if self._ids is not None:
            await asyncio.to_thread(self._ids.save_framework_id, framework_id)

    def live_task_ids(self) -> list[str]:
        """The tasks the records say are not terminal."""
        return []

    async def converge(self) -> None:
        """Acts on what needs no offer (kills, revives, timers). Runs after
        every subscription and whenever the wake-up falls due."""

    # ------------------------------------------------------------ callbacks

    async def subscribed(self, driver: SchedulerDriver, framework_id: str) -> None:
        self.driver = driver
        if framework_id != self.framework_id:
            self.framework_id = framework_id
            await self.save_framework_id(framework_id)
        live = self.live_task_ids()
        if live:
            # Updates may have been missed while away; tasks the master never
            # saw (a launch lost in a crash) come back UNKNOWN.
            await self.call(driver.reconcile(live))
        await self.converge()

    # -------------------------------------------------------------- helpers

    async def kill_tasks(self, kills: Mapping[str, str]) -> None:
        """Kills each task (task id -> why) not already asked for."""
        if self.driver is not None:
            await self.kills.send(self.driver, kills)

    async def stray(self, status: TaskStatus) -> None:
        """An update of a task no live record knows (removed, ended or never
        recorded): if it still runs, it is killed."""
        if status.state.is_terminal:
            self.kills.ended(status.task_id)
        else:
            await self.kill_tasks({status.task_id: "no live record of it"})

    async def launch(
        self,
        driver: SchedulerDriver,
        offer_id: str,
        tasks: Sequence[TaskSpec],
        record: Callable[[], Awaitable[None]],
        unrecord: Callable[[], Awaitable[None]],
    ) -> bool:
        """Launches `tasks` on one offer, written down first: `record()`
        persists them before the accept, so that a restart finds every task
        it started; if the master refuses the accept for the offer (it was
        rescinded meanwhile, the master is away) nothing was launched and
        `unrecord()` drops them. True if launched. A refusal of the tasks
        themselves (PERMISSION_DENIED: a grant they lack; INVALID_ARGUMENT;
        ALREADY_EXISTS), which another offer would not change, and any other
        error (a task the driver cannot send) drop them too, then are
        raised: the offer is still the caller's to decline."""
        await record()
        try:
            await driver.accept([offer_id], tasks)
        except CallRefusedError as err:
            await unrecord()
            if err.code in TASKS_AT_FAULT:
                raise
            log.info("launch on offer %s refused (%s); waiting for another", offer_id, err)
            return False
        except Exception:
            await unrecord()
            raise
        return True

    @staticmethod
    async def call(call: Awaitable[None]) -> bool:
        """Awaits a driver call whose refusal needs no more than a log line
        (the master's next events say what is so). False if refused."""
        try:
            await call
        except CallRefusedError as err:
            log.warning("call to the master refused: %s", err)
            return False
        return True
