"""Scheduler service: what frameworks call. Translates and delegates only."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import grpc

from master.cluster import Offer
from master.core import ErrorKind, Master, MasterError
from master.frameworks import Acceptance
from master.messages import (
    AgentFailed,
    FrameworkEvent,
    Heartbeat,
    OfferRescinded,
    OffersMade,
    StatusChanged,
    Subscribed,
    SubscriptionEnded,
)
from master.reservations import ReservationChange
from master.servicers.calls import core_errors, error_code, to_the_end
from offer import wire
from offer.folding import folded
from offer.outbox import Outbox
from offer.security.server import principal
from offer.v1 import common_pb2 as common
from offer.v1 import scheduler_pb2 as pb
from offer.v1 import scheduler_pb2_grpc

# In a burst, a framework's events go out at least this far apart, each with
# everything that piled up: while a deploy's containers start, every agent's
# message of RUNNING updates would be an event of its own, and each event
# costs the framework a store write and a pass of its planner
# (bench/profiling.md, note 31). Anything else (offers, a task's end, which
# frees resources the framework may be waiting for) goes at once, and so does
# the first event after a quiet spell.
EVENT_SPACING = 0.25


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServicer):
    def __init__(self, master: Master) -> None:
        self._calls = master.framework_calls

    async def Subscribe(
        self, request: pb.SubscribeRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.Event]:
        info = request.framework
        link: Outbox[FrameworkEvent] = Outbox(EVENT_SPACING, _urgent)
        async with core_errors(context):
            fw = await to_the_end(
                self._calls.subscribe(
                    info.framework_id,
                    info.name,
                    info.role,
                    info.user,
                    info.failover_timeout,
                    link,
                    info.control_address,
                    principal(),
                    request.suppressed,
                    info.accepts_revocable,
                ),
                on_abandoned=lambda fw: self._calls.disconnected(fw.framework_id, link),
            )
        try:
            async for message in folded(link, event_to_pb, "event", _LISTS):
                yield message
        finally:
            self._calls.disconnected(fw.framework_id, link)

    async def Accept(
        self, request: pb.AcceptRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcceptResponse:
        async with core_errors(context):
            acceptance = _acceptance(request)
            self._calls.check_owner(request.framework_id, principal())
            await to_the_end(
                self._calls.accept(
                    request.framework_id,
                    acceptance.offer_ids,
                    acceptance.specs,
                    acceptance.refuse_seconds,
                    acceptance.reservations,
                )
            )
        return pb.AcceptResponse()

    async def AcceptMany(
        self, request: pb.AcceptManyRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcceptManyResponse:
        # An entry that cannot even be read is refused alone, as its own
        # Accept would be; the others go to the master together.
        outcomes: list[Acceptance | MasterError] = []
        for entry in request.accepts:
            try:
                outcomes.append(_acceptance(entry))
            except MasterError as err:
                outcomes.append(err)
        readable = [a for a in outcomes if isinstance(a, Acceptance)]
        if request.atomic and len(readable) < len(outcomes):
            readable = []  # all or none: an unreadable entry stops the others
            aborted = MasterError(
                ErrorKind.ABORTED, "not launched: an entry of this atomic AcceptMany was refused"
            )
            outcomes = [aborted if isinstance(o, Acceptance) else o for o in outcomes]
        async with core_errors(context):
            self._calls.check_owner(request.framework_id, principal())
            decided = iter(
                await to_the_end(
                    self._calls.accept_many(request.framework_id, readable, request.atomic)
                )
            )
        return pb.AcceptManyResponse(
            results=[_result(next(decided) if isinstance(o, Acceptance) else o) for o in outcomes]
        )

    async def Decline(
        self, request: pb.DeclineRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeclineResponse:
        async with core_errors(context):
            refuse_seconds = _refuse_seconds(request.filters)
            self._calls.check_owner(request.framework_id, principal())
            self._calls.decline(request.framework_id, list(request.offer_ids), refuse_seconds)
        return pb.DeclineResponse()

    async def Revive(
        self, request: pb.ReviveRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReviveResponse:
        async with core_errors(context):
            self._calls.check_owner(request.framework_id, principal())
            self._calls.revive(request.framework_id)
        return pb.ReviveResponse()

    async def Suppress(
        self, request: pb.SuppressRequest, context: grpc.aio.ServicerContext
    ) -> pb.SuppressResponse:
        async with core_errors(context):
            self._calls.check_owner(request.framework_id, principal())
            self._calls.suppress(request.framework_id)
        return pb.SuppressResponse()

    async def Kill(
        self, request: pb.KillRequest, context: grpc.aio.ServicerContext
    ) -> pb.KillResponse:
        async with core_errors(context):
            self._calls.check_owner(request.framework_id, principal())
            self._calls.kill(request.framework_id, request.task_id)
        return pb.KillResponse()

    async def Acknowledge(
        self, request: pb.AcknowledgeRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcknowledgeResponse:
        async with core_errors(context):
            self._calls.check_owner(request.framework_id, principal())
            uuids = [request.uuid, *request.uuids] if request.uuid else list(request.uuids)
            await to_the_end(self._calls.acknowledge(request.framework_id, uuids))
        return pb.AcknowledgeResponse()

    async def Reconcile(
        self, request: pb.ReconcileRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReconcileResponse:
        async with core_errors(context):
            self._calls.check_owner(request.framework_id, principal())
            self._calls.reconcile(request.framework_id, list(request.task_ids))
        return pb.ReconcileResponse()

    async def Teardown(
        self, request: pb.TeardownRequest, context: grpc.aio.ServicerContext
    ) -> pb.TeardownResponse:
        async with core_errors(context):
            self._calls.check_owner(request.framework_id, principal())
            await to_the_end(self._calls.teardown(request.framework_id))
        return pb.TeardownResponse()


def _acceptance(request: pb.AcceptRequest) -> Acceptance:
    specs = [
        wire.task_from_pb(task)
        for op in request.operations
        if op.HasField("launch")
        for task in op.launch.tasks
    ]
    changes = [
        ReservationChange(
            change.role, wire.resources_from_pb(change.resources), unreserve=kind == "unreserve"
        )
        for op in request.operations
        if (kind := op.WhichOneof("operation")) in ("reserve", "unreserve")
        for change in (op.reserve if kind == "reserve" else op.unreserve,)
    ]
    return Acceptance(list(request.offer_ids), specs, _refuse_seconds(request.filters), changes)


def _result(outcome: object) -> pb.AcceptResult:
    """An entry's answer: OK (its tasks were launched), or why not."""
    if isinstance(outcome, MasterError):
        return pb.AcceptResult(code=error_code(outcome).name, message=str(outcome))
    return pb.AcceptResult(code="OK")


def _refuse_seconds(filters: common.Filters) -> float | None:
    if not filters.HasField("refuse_seconds"):
        return None
    seconds = filters.refuse_seconds
    if not math.isfinite(seconds) or seconds < 0:
        raise MasterError(
            ErrorKind.INVALID_ARGUMENT,
            f"filters.refuse_seconds: must be a number >= 0, got {seconds}",
        )
    return seconds


# Runs of these events are sent as one: updates (the bulk of a busy
# master's events) and offers.
_LISTS = {"update": "statuses", "offers": "offers"}


def _urgent(event: FrameworkEvent) -> bool:
    """Everything but an update of a task that is still live goes at once."""
    return not isinstance(event, StatusChanged) or event.status.state.is_terminal


def offer_to_pb(o: Offer) -> common.Offer:
    return common.Offer(
        offer_id=o.offer_id,
        framework_id=o.framework_id,
        agent_id=o.agent_id,
        hostname=o.hostname,
        resources=wire.resources_to_pb(o.resources),
        attributes=dict(o.attributes),
        address=o.address,
        reserved=wire.resources_to_pb(o.reserved),
        revocable=wire.resources_to_pb(o.revocable),
    )


def event_to_pb(event: FrameworkEvent) -> pb.Event:
    match event:
        case Subscribed(framework_id, interval):
            return pb.Event(
                subscribed=pb.Subscribed(
                    framework_id=framework_id, heartbeat_interval_seconds=interval
                )
            )
        case OffersMade(offers):
            return pb.Event(offers=pb.Offers(offers=[offer_to_pb(o) for o in offers]))
        case OfferRescinded(offer_id):
            return pb.Event(rescind=pb.Rescind(offer_id=offer_id))
        case StatusChanged(status):
            return pb.Event(update=pb.Update(statuses=[wire.status_to_pb(status)]))
        case AgentFailed(agent_id):
            return pb.Event(failure=pb.Failure(agent_id=agent_id))
        case SubscriptionEnded(message):
            return pb.Event(error=pb.Error(message=message))
        case Heartbeat():
            return pb.Event(heartbeat=pb.Heartbeat())
    raise TypeError(f"not a framework event: {event!r}")
