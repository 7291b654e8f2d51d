"""The driver: keeps a framework subscribed and carries its calls.

It subscribes, dispatches events to the Scheduler one at a time, acknowledges
each update after its callback returns, and reconnects with backoff
(re-subscribing with its framework id) when the stream breaks. Given several
masters ("a:5050,b:5050,c:5050"), it subscribes to the one that leads and
follows the leader when it changes (offer/masters.py): a standby names the
leader, which is dialled at once; the backoff applies to a round of masters
in which none led. Its calls are those of `SchedulerDriver`
(frameworks/sdk/interface.py), where each one's contract is written.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from prometheus_client import CollectorRegistry

from frameworks.sdk.acks import AckBatcher
from frameworks.sdk.interface import Acceptance, CallRefusedError
from frameworks.sdk.metrics import DriverMetrics
from frameworks.sdk.scheduler import Offer, Scheduler
from offer import wire
from offer.backoff import Backoff
from offer.clock import Clock, SystemClock, TimerHandle
from offer.grpc_options import KEEPALIVE_OPTIONS
from offer.leader import is_standby_answer, leader_from
from offer.masters import MasterList
from offer.security.client import ClientSecurity
from offer.tasks import TaskSpec
from offer.v1 import common_pb2, scheduler_pb2_grpc
from offer.v1 import scheduler_pb2 as pb

log = logging.getLogger(__name__)

# Reconnect delays (offer/backoff.py).
MIN_BACKOFF = 0.2
MAX_BACKOFF = 10.0
# Heartbeat periods without any event after which the stream is presumed dead.
MISSED_HEARTBEATS = 3
# How often the heartbeat watch looks before the master has said its period.
UNTOLD_PERIOD = 1.0


# Answers to Subscribe that retrying cannot change.
_REFUSALS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
)


class Driver:
    """Runs a Scheduler against the master: the real `SchedulerDriver`."""

    def __init__(
        self,
        scheduler: Scheduler,
        *,
        master: str | Sequence[str] | None = None,
        name: str = "framework",
        role: str = "*",
        user: str = "",
        framework_id: str = "",
        failover_timeout: float = 0.0,
        control_address: str = "",
        security: ClientSecurity | None = None,
        clock: Clock | None = None,
        suppressed: bool = False,
        registry: CollectorRegistry | None = None,
        accepts_revocable: bool | None = None,
    ) -> None:
        self.scheduler = scheduler
        # Subscribes with FrameworkInfo.accepts_revocable: offers may then
        # carry a revocable part (Offer.revocable, docs/revocable.md). None:
        # as the scheduler's `accepts_revocable` says.
        self.accepts_revocable = (
            scheduler.accepts_revocable if accepts_revocable is None else accepts_revocable
        )
        # Offers and updates counted in `registry` (a daemon's /metrics), if given.
        self.metrics = DriverMetrics(registry)
        # What each Subscribe asks: start suppressed or not. suppress() and
        # revive() keep it current, so a reconnect keeps what was asked last;
        # a new process starts from what it passes here.
        self.suppressed = suppressed
        # What reconnect delays and the heartbeat watch wait on.
        self.clock: Clock = clock or SystemClock()
        # Credentials and TLS for the master; ClientSecurity() is neither.
        self.security = security or ClientSecurity()
        # The masters it may reach, one leading ("a:5050,b:5050" or a
        # sequence): the subscription follows the leader.
        self.masters = MasterList(master or os.environ.get("OFFER_MASTER", "127.0.0.1:5050"))
        # The master the channel goes to (the one subscribed to, or tried).
        self.master = self.masters.current
        self.name, self.role, self.user = name, role, user
        self.framework_id = framework_id
        # Whether the last subscription carried a framework id (see SchedulerDriver).
        self.resubscribed = False
        self.failover_timeout = failover_timeout
        self.control_address = control_address
        self._channel: grpc.aio.Channel | None = None
        self._subscribed_call: tuple[grpc.aio.UnaryStreamCall, asyncio.Event] | None = None
        self._stub: scheduler_pb2_grpc.SchedulerStub | None = None
        self._stopped = asyncio.Event()
        self._torn_down = False
        self._heartbeat_interval: float | None = None
        # Events received so far: the heartbeat watch sees whether it moved.
        self._events = 0
        # Offers of the event being handled not yet accepted or declined.
        self._unanswered: set[str] = set()
        self._acks: AckBatcher | None = None
        # Held while a callback runs (an event's or a timer's): one at a time.
        self._turn = asyncio.Lock()
        # Timer callbacks started and not yet ended (kept from the collector).
        self._timer_jobs: set[asyncio.Task[None]] = set()
        self._handlers: dict[str, Callable[[pb.Event], Awaitable[None]]] = {
            "subscribed": self._on_subscribed,
            "offers": self._on_offers,
            "rescind": self._on_rescind,
            "update": self._on_update,
            "failure": self._on_failure,
            "error": self._on_error,
        }

    async def run(self) -> None:
        """Runs until stop() or teardown(). Raises CallRefusedError if the
        master refuses the subscription itself (e.g. a bad role)."""
        self._acks = AckBatcher(self._acknowledge)
        backoff = Backoff(MIN_BACKOFF, MAX_BACKOFF, clock=self.clock)
        try:
            while not self._stopped.is_set():
                # The channel belongs to the loop that runs the driver, and
                # to one master: another is made when the driver moves on.
                await self._dial(self.masters.current)
                try:
                    await self._subscription()
                    backoff.reset()
                    round_over = self.masters.failed()
                except grpc.aio.AioRpcError as err:
                    if err.code() in _REFUSALS:
                        raise CallRefusedError(err.code().name, err.details() or "") from None
                    if is_standby_answer(err):
                        # To the leader it names at once; the backoff is for
                        # a round of masters in which none led.
                        round_over = self.masters.standby(leader_from(err))
                    else:
                        round_over = self.masters.failed()
                        reason = err.details() or err.code().name
                        then = "retrying" if round_over else f"trying {self.masters.current}"
                        log.warning("master %s unreachable (%s); %s", self.master, reason, then)
                if self._stopped.is_set():
                    break
                async with self._turn:
                    await self._callback(self.scheduler.disconnected(self))
                if round_over:
                    delay = self.masters.round_delay(backoff)
                    log.info("no master of %s leads; retrying in %.1fs", self.masters, delay)
                    await backoff.sleep(delay, self._stopped)
        finally:
            await self._acks.close()
            if self._channel is not None:
                await self._channel.close()
            self._channel = self._stub = None

    async def _dial(self, master: str) -> None:
        """Makes the channel go to `master`, closing one to another master
        (calls still under way on it fail, as across a reconnect)."""
        if self._channel is not None and master == self.master:
            return
        if self._channel is not None:
            await self._channel.close()
        self.master = master
        self._channel = self.security.aio_channel(master, KEEPALIVE_OPTIONS)
        self._stub = scheduler_pb2_grpc.SchedulerStub(self._channel)

    def stop(self) -> None:
        """Ends run(); the framework stays registered (see SchedulerDriver.stop)."""
        self._stopped.set()

    @property
    def stub(self) -> scheduler_pb2_grpc.SchedulerStub:
        if self._stub is None:
            raise RuntimeError("the driver is not running; call run() first")
        return self._stub

    async def _subscription(self) -> None:
        request = pb.SubscribeRequest(
            framework=common_pb2.FrameworkInfo(
                framework_id=self.framework_id,
                name=self.name,
                role=self.role,
                user=self.user,
                failover_timeout=self.failover_timeout,
                control_address=self.control_address,
                accepts_revocable=self.accepts_revocable,
            ),
            suppressed=self.suppressed,
        )
        call = self.stub.Subscribe(request)
        stop_waiter = asyncio.create_task(self._stopped.wait())
        stop_waiter.add_done_callback(lambda _: call.cancel())
        # Set when the driver itself ends the stream (silent master, or a
        # call answered by a standby): run() then moves on.
        silent = asyncio.Event()
        self._subscribed_call = (call, silent)
        watchdog = asyncio.create_task(self._watch_heartbeats(call, silent))
        try:
            async for event in call:
                self._events += 1
                if self._stopped.is_set():
                    break  # stop() or teardown() came from a callback
                await self._dispatch(event)
        except asyncio.CancelledError:
            if not (self._stopped.is_set() or silent.is_set()):
                raise
        except grpc.aio.AioRpcError as err:
            cancelled = err.code() == grpc.StatusCode.CANCELLED
            if not (cancelled and (self._stopped.is_set() or silent.is_set())):
                raise
        finally:
            self._subscribed_call = None
            stop_waiter.cancel()
            watchdog.cancel()

    async def _watch_heartbeats(
        self, call: grpc.aio.UnaryStreamCall, silent: asyncio.Event
    ) -> None:
        """Ends a subscription that has been silent for MISSED_HEARTBEATS
        heartbeat periods in a row: the master (or the path to it) is gone,
        even if the connection looks open. run() then reconnects. It counts
        events rather than reading the time, so it needs nothing but sleeps
        on the clock."""
        seen, quiet_periods = self._events, 0
        while True:
            await self.clock.sleep(self._heartbeat_interval or UNTOLD_PERIOD)
            if self._heartbeat_interval is None or self._events != seen:
                seen, quiet_periods = self._events, 0
                continue
            quiet_periods += 1
            if quiet_periods >= MISSED_HEARTBEATS:
                log.warning(
                    "no event from master %s for %d heartbeat periods; reconnecting",
                    self.master,
                    quiet_periods,
                )
                silent.set()
                call.cancel()
                return

    async def _dispatch(self, event: pb.Event) -> None:
        """Hands the event to its handler; a heartbeat has none (receiving it
        was the point)."""
        handler = self._handlers.get(event.WhichOneof("event") or "")
        if handler is not None:
            async with self._turn:
                await handler(event)

    def call_later(
        self, delay: float, callback: Callable[[], Awaitable[None] | None]
    ) -> TimerHandle:
        """See SchedulerDriver.call_later."""
        return self.clock.call_later(delay, self._start_timer_job, callback)

    def _start_timer_job(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        job = asyncio.ensure_future(self._timer_job(callback))
        self._timer_jobs.add(job)
        job.add_done_callback(self._timer_jobs.discard)

    async def _timer_job(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        async with self._turn:
            if self._stopped.is_set():
                return  # the driver has stopped: nothing to make calls on
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("a timer callback of %s raised", type(self.scheduler).__name__)

    async def _on_subscribed(self, event: pb.Event) -> None:
        self.masters.connected()
        self._heartbeat_interval = event.subscribed.heartbeat_interval_seconds or None
        self.resubscribed = bool(self.framework_id)
        self.framework_id = event.subscribed.framework_id
        log.info(
            "%s as framework %s (%s, role %s) with master %s",
            "re-subscribed" if self.resubscribed else "subscribed",
            self.framework_id,
            self.name,
            self.role,
            self.master,
            extra={"framework_id": self.framework_id, "role": self.role},
        )
        await self._callback(self.scheduler.subscribed(self, self.framework_id))
        if self.resubscribed:
            # Updates may have been missed while disconnected: ask for the
            # current state of every live task.
            try:
                await self.reconcile()
            except CallRefusedError as err:  # the stream broke again meanwhile
                log.info("reconciliation after re-subscribing failed (%s)", err)

    async def _on_offers(self, event: pb.Event) -> None:
        received = self.clock()
        offers = [
            Offer(
                o.offer_id,
                o.agent_id,
                o.hostname,
                wire.resources_from_pb(o.resources),
                dict(o.attributes),
                received,
                o.address or o.hostname,
                wire.resources_from_pb(o.reserved),
                wire.resources_from_pb(o.revocable),
            )
            for o in event.offers.offers
        ]
        self.metrics.offers_received.inc(len(offers))
        self._unanswered = {o.offer_id for o in offers}
        handled = await self._callback(self.scheduler.offers(self, offers))
        left, self._unanswered = sorted(self._unanswered), set()
        if not handled and left:
            # Held offers would keep their resources from everyone until they
            # time out: a callback that raised gives them back.
            try:
                await self.decline(left)
            except CallRefusedError as err:  # rescinded meanwhile, or the stream broke
                log.info("declining the offers of a failed callback: %s", err)
            else:
                log.warning("declined %d offer(s) the failed callback left", len(left))

    async def _on_rescind(self, event: pb.Event) -> None:
        self.metrics.offers_rescinded.inc()
        await self._callback(self.scheduler.rescind(self, event.rescind.offer_id))

    async def _on_update(self, event: pb.Event) -> None:
        """Each update is acknowledged once its callback returned; a Scheduler
        that overrides `update_many` gets the event's updates in one call."""
        statuses = [wire.status_from_pb(update) for update in event.update.statuses]
        self.metrics.status_updates_received.inc(len(statuses))
        together = type(self.scheduler).update_many is not Scheduler.update_many
        for batch in [statuses] if together else [[status] for status in statuses]:
            handled = await self._callback(self.scheduler.update_many(self, batch))
            if handled and not self._torn_down and self._acks is not None:
                for status in batch:
                    if status.uuid:
                        self._acks.add(status.uuid)

    async def _on_failure(self, event: pb.Event) -> None:
        await self._callback(self.scheduler.failure(self, event.failure.agent_id))

    async def _on_error(self, event: pb.Event) -> None:
        self._stopped.set()
        await self._callback(self.scheduler.error(self, event.error.message))

    async def _callback(self, call: Awaitable[None]) -> bool:
        """Runs a Scheduler callback; an exception is logged, not fatal.
        False means it raised (an update is then not acknowledged, so the
        master delivers it again)."""
        try:
            await call
        except Exception:
            log.exception("a %s callback raised", type(self.scheduler).__name__)
            return False
        return True

    # ------------------------------------------------------------- calls

    async def accept(
        self,
        offer_ids: Sequence[str],
        tasks: Sequence[TaskSpec],
        refuse_seconds: float | None = None,
    ) -> None:
        """See SchedulerDriver.accept."""
        self._unanswered.difference_update(offer_ids)
        await self._call(
            self.stub.Accept, _accept_request(self.framework_id, offer_ids, tasks, refuse_seconds)
        )
        self.metrics.offers_accepted.inc(len(offer_ids))

    async def accept_many(
        self, acceptances: Sequence[Acceptance], atomic: bool = False
    ) -> list[CallRefusedError | None]:
        """See SchedulerDriver.accept_many."""
        for acceptance in acceptances:
            self._unanswered.difference_update(acceptance.offer_ids)
        request = pb.AcceptManyRequest(
            framework_id=self.framework_id,
            accepts=[
                _accept_request("", a.offer_ids, a.tasks, a.refuse_seconds) for a in acceptances
            ],
            atomic=atomic,
        )
        response: pb.AcceptManyResponse = await self._call(self.stub.AcceptMany, request)
        self.metrics.offers_accepted.inc(
            sum(
                len(a.offer_ids)
                for a, r in zip(acceptances, response.results, strict=False)
                if r.code == "OK"
            )
        )
        return [
            None if r.code == "OK" else CallRefusedError(r.code, r.message)
            for r in response.results
        ]

    async def decline(self, offer_ids: Sequence[str], refuse_seconds: float | None = None) -> None:
        """See SchedulerDriver.decline. The master passes over offers gone
        meanwhile (rescinded or timed out in flight) and declines the rest."""
        self._unanswered.difference_update(offer_ids)
        await self._call(
            self.stub.Decline,
            pb.DeclineRequest(
                framework_id=self.framework_id,
                offer_ids=list(offer_ids),
                filters=_filters(refuse_seconds),
            ),
        )
        self.metrics.offers_declined.inc(len(offer_ids))

    async def revive(self) -> None:
        await self._call(self.stub.Revive, pb.ReviveRequest(framework_id=self.framework_id))
        self.suppressed = False

    async def suppress(self) -> None:
        await self._call(self.stub.Suppress, pb.SuppressRequest(framework_id=self.framework_id))
        self.suppressed = True

    async def kill(self, task_id: str) -> None:
        await self._call(
            self.stub.Kill, pb.KillRequest(framework_id=self.framework_id, task_id=task_id)
        )

    async def reconcile(self, task_ids: Sequence[str] = ()) -> None:
        await self._call(
            self.stub.Reconcile,
            pb.ReconcileRequest(framework_id=self.framework_id, task_ids=list(task_ids)),
        )

    async def teardown(self) -> None:
        """See SchedulerDriver.teardown; run() returns. Acknowledgements not
        yet sent are dropped first, and none is queued while the call is
        made: the framework and its updates go, so they could only fail."""
        self._torn_down = True
        if self._acks is not None:
            self._acks.drop()
        try:
            await self._call(self.stub.Teardown, pb.TeardownRequest(framework_id=self.framework_id))
        except CallRefusedError:
            self._torn_down = False  # still registered: what it gets is acknowledged again
            raise
        self._stopped.set()

    async def _acknowledge(self, uuids: list[str]) -> None:
        """A failure is harmless: the master re-sends what was not acknowledged."""
        await self._call(
            self.stub.Acknowledge,
            pb.AcknowledgeRequest(framework_id=self.framework_id, uuids=uuids),
        )

    async def _call(self, method: object, request: object) -> Any:
        try:
            return await method(request, timeout=10)  # type: ignore[operator]
        except grpc.aio.AioRpcError as err:
            if is_standby_answer(err) and self._subscribed_call is not None:
                # The master stood down: the subscription moves to the leader
                # (run() hears which from the standby), and the call fails
                # like any made while disconnected.
                log.info("master %s stands by now; leaving it", self.master)
                call, ending = self._subscribed_call
                ending.set()
                call.cancel()
            raise CallRefusedError(err.code().name, err.details() or "") from None


def _accept_request(
    framework_id: str,
    offer_ids: Sequence[str],
    tasks: Sequence[TaskSpec],
    refuse_seconds: float | None,
) -> pb.AcceptRequest:
    return pb.AcceptRequest(
        framework_id=framework_id,
        offer_ids=list(offer_ids),
        operations=[pb.Operation(launch=pb.Launch(tasks=[wire.task_to_pb(t) for t in tasks]))],
        filters=_filters(refuse_seconds),
    )


def _filters(refuse_seconds: float | None) -> common_pb2.Filters:
    if refuse_seconds is None:
        return common_pb2.Filters()
    return common_pb2.Filters(refuse_seconds=refuse_seconds)
