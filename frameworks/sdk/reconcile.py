"""Reconciliation as Mesos recommends it: ask about the tasks you recorded
(explicit), again with backoff until each has answered, then once about
every live task (implicit), which brings back the tasks you have no record
of (to kill them, say).

    self.reconciliation = Reconciliation(driver, recorded_task_ids)
    await self.reconciliation.start()          # in `subscribed`
    await self.reconciliation.update(status)   # first thing in `update`

Until `done`, a recorded task that has not answered may be running: launch
nothing that must not run beside it. Any update of a task counts as its
answer (a reconciliation answer, or news that crossed the request). A task
the master never had answers UNKNOWN, so each recorded task answers in the
end, unless the master is unreachable, which the retries outlast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from frameworks.sdk.interface import CallRefusedError, SchedulerDriver
from offer.backoff import Backoff
from offer.clock import TimerHandle
from offer.tasks import TaskStatus

__all__ = ["Reconciliation"]

log = logging.getLogger(__name__)

# Delays between explicit requests: 1 s, doubling up to a minute.
FIRST_RETRY = 1.0
MOST_RETRY = 60.0


class Reconciliation:
    """One round of reconciliation over `task_ids` (see the module
    docstring). Its retries run on the driver's clock, through
    `driver.call_later`. Make a new one on each subscription, after
    `cancel()`ing the old one."""

    def __init__(
        self,
        driver: SchedulerDriver,
        task_ids: Iterable[str],
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self.driver = driver
        # Recorded tasks that have not answered yet.
        self.unanswered: set[str] = set(task_ids)
        self.done = False
        self._backoff = backoff or Backoff(FIRST_RETRY, MOST_RETRY)
        self._retry: TimerHandle | None = None

    async def start(self) -> None:
        """Sends the first explicit request (or, with nothing recorded, the
        implicit one at once)."""
        await self._ask()

    async def update(self, status: TaskStatus) -> None:
        """Feeds an update: once every recorded task has answered, the
        implicit request is sent and the round is done."""
        if self.done or status.task_id not in self.unanswered:
            return
        self.unanswered.discard(status.task_id)
        if not self.unanswered:
            await self._finish()

    def cancel(self) -> None:
        """No more requests from this round."""
        self.done = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None

    async def _ask(self) -> None:
        if self.done:
            return
        if not self.unanswered:
            await self._finish()
            return
        try:
            await self.driver.reconcile(sorted(self.unanswered))
        except CallRefusedError as err:  # the retry asks again
            log.info("reconciliation of %d task(s) refused: %s", len(self.unanswered), err)
        if not self.done:
            self._retry = self.driver.call_later(self._backoff.next_delay(), self._ask)

    async def _finish(self) -> None:
        self.cancel()
        try:
            await self.driver.reconcile()
        except CallRefusedError as err:  # the driver reconciles on re-subscribing
            log.info("implicit reconciliation refused: %s", err)
