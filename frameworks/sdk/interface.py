"""What a Scheduler may ask of the driver that runs it, as a protocol.

`Driver` carries these calls to the master; a unit test hands a Scheduler
any object with the same methods (one that records the calls, say) and
drives its callbacks itself. Scheduler callbacks are typed against this
protocol, never against `Driver`.

Every call but `stop` is one gRPC call to the master, made when awaited and
answered before it returns: there is no queue and no retry. A refusal raises
`CallRefusedError` and changes nothing on the master; a call the master never
answered (the connection broke) raises it too, with code UNAVAILABLE or
DEADLINE_EXCEEDED, and may or may not have taken effect: the status updates
that follow (or a `reconcile`) say which.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from offer.clock import TimerHandle
from offer.tasks import TaskSpec

__all__ = ["Acceptance", "CallRefusedError", "SchedulerDriver"]


class CallRefusedError(Exception):
    """The master refused a call, or did not answer it; `code` is the gRPC
    status code name (NOT_FOUND: the offer is gone; INVALID_ARGUMENT: the
    message names the faulty field; ALREADY_EXISTS: a task id used before;
    UNAVAILABLE: the master is unreachable)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Acceptance:
    """One accept of `accept_many`: tasks on offers of one agent."""

    offer_ids: Sequence[str]
    tasks: Sequence[TaskSpec]
    refuse_seconds: float | None = None


class SchedulerDriver(Protocol):
    """The calls a Scheduler makes, with the rules each follows."""

    @property
    def framework_id(self) -> str:
        """The id the master gave this framework ("" until subscribed). It
        stays the same across reconnects and failovers of the framework."""
        ...

    @property
    def resubscribed(self) -> bool:
        """Whether the last subscription carried a framework id: a reconnect,
        or a new process that passed its saved id (a failover). Then the
        master knew this framework already and its tasks may be running;
        False on a first subscription, with a new id and no tasks. Read it in
        `subscribed`."""
        ...

    async def accept(
        self,
        offer_ids: Sequence[str],
        tasks: Sequence[TaskSpec],
        refuse_seconds: float | None = None,
    ) -> None:
        """Launches `tasks` on the offers, which must all be of one agent.
        An offer id is good for one accept or decline only. Checked whole:
        if anything is wrong (an offer rescinded meanwhile: NOT_FOUND; tasks
        larger than the offers: INVALID_ARGUMENT; a reused task id:
        ALREADY_EXISTS) it raises CallRefusedError and nothing is launched;
        the offers then stay yours unless they are gone. Resources the tasks
        leave unused are declined for `refuse_seconds` (the master's default,
        5 s, if None). Each task then reports STARTING, RUNNING and its end
        through `update`."""
        ...

    async def accept_many(
        self, acceptances: Sequence[Acceptance], atomic: bool = False
    ) -> list[CallRefusedError | None]:
        """Several accepts (offers of many agents) in one call, cheaper for
        the master than one call each. Each is decided on its own, as its own
        `accept` would be: the answer lists, in order, None for each launched
        and the CallRefusedError of each refused (nothing of it launched).
        With `atomic` (a gang: tasks that must start together or not at all),
        all launch or none does: if any entry is refused, the others answer
        ABORTED and every offer stays outstanding. Raises CallRefusedError
        only if the call as a whole is refused."""
        ...

    async def decline(self, offer_ids: Sequence[str], refuse_seconds: float | None = None) -> None:
        """Gives the offers back. Their resources are not offered to this
        framework again for `refuse_seconds` (5 s if None) unless more
        becomes free on that agent or it revives. Declining an offer that is
        gone (rescinded or timed out in flight) raises CallRefusedError
        (NOT_FOUND) and is otherwise harmless: the other offers named with
        it are declined all the same."""
        ...

    async def revive(self) -> None:
        """Clears every refusal filter and ends a suppress: offers resume.
        Idempotent."""
        ...

    async def suppress(self) -> None:
        """Asks for no offers until `revive`; running tasks are not touched.
        Idempotent. Offers already on their way may still arrive. It holds
        across this driver's reconnects; a framework subscribing afresh (a
        new process re-subscribing with its id, or after a master restart)
        is suppressed only if its Driver was made with `suppressed=True`."""
        ...

    async def kill(self, task_id: str) -> None:
        """Asks the task's agent to stop it: SIGTERM, then SIGKILL after its
        grace period. The answer is an update: KILLED, or whatever end came
        first; for a task that has ended already, its last state; for one the
        master never heard of, UNKNOWN. Asking twice is harmless."""
        ...

    async def reconcile(self, task_ids: Sequence[str] = ()) -> None:
        """Asks for the latest state of these tasks (of every live one if
        empty). Answers come as updates with an empty uuid (nothing to
        acknowledge); a task the master never had comes back UNKNOWN.
        Idempotent: use it whenever your records may be stale."""
        ...

    async def teardown(self) -> None:
        """Unregisters the framework for good: its tasks are killed, its
        offers withdrawn, and the driver stops. Not undone by anything.
        Acknowledgements not yet sent are dropped (they would be refused),
        so it may be called from any callback, `update` included."""
        ...

    def call_later(
        self, delay: float, callback: Callable[[], Awaitable[None] | None]
    ) -> TimerHandle:
        """Runs `callback()` once `delay` seconds have passed on the driver's
        clock (not a call to the master: nothing is sent). It runs on the
        driver's loop like an event: never while a callback (of an event or
        of another timer) runs, nor one while it runs; an async callback is
        awaited. It may call the driver as a callback does; one that raises
        is logged. It does not run once the driver has stopped. The handle's
        `cancel()` keeps it from running (harmless once it has run). Call it
        while the driver runs (from a callback, say). A timer callback that
        waits for an event deadlocks: events wait for it."""
        ...

    def stop(self) -> None:
        """Ends the driver's run without unregistering: the framework's tasks
        keep running, and a driver started again with the same framework id
        (within its failover timeout) takes them over. Idempotent."""
        ...
