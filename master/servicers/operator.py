"""Operator service: views for offerctl and dashboards, and the operator's
actions (drain, reactivate, remove, teardown, quota, reserve), each guarded
by the operator ACL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from importlib import metadata

import grpc

from master.cluster import Agent, Framework, Offer, Task
from master.core import Master
from master.events import ClusterEvent
from master.leadership import Leadership
from master.logs import LogRelay
from master.quotas import RoleQuota
from master.reservations import RoleReservations
from master.reserved import in_use
from master.servicers import page_tokens
from master.servicers.calls import core_errors, to_the_end
from master.servicers.scheduler import offer_to_pb
from master.summary import summarize
from master.task_pages import TaskFilter, page_size, task_page
from offer import wire
from offer.resources import Resources, Usage
from offer.security.server import principal
from offer.tasks import TaskState
from offer.v1 import common_pb2 as common
from offer.v1 import operator_pb2 as pb
from offer.v1 import operator_pb2_grpc


def _version() -> str:
    try:
        return metadata.version("offer")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _epoch(leadership: Leadership | None) -> int:
    """The election epoch, for masters that elect (not one on a SQLite file)."""
    if leadership is None or leadership.exclusive:
        return 0
    return leadership.epoch or 0


class OperatorServicer(operator_pb2_grpc.OperatorServicer):
    def __init__(self, master: Master, logs: LogRelay) -> None:
        self._master = master
        self._logs = logs
        # HOST:PORT the master is reached at, known once it has bound its port.
        self.address = ""
        # Whether it leads; None: a master on its own, which always does.
        self.leadership: Leadership | None = None
        # Whether it serves as the leader: a new leader recovering its state
        # has the lease but does not serve yet, and says so (server.py).
        self.serving: Callable[[], bool] = lambda: True
        self._version = _version()

    async def ListAgents(
        self, request: pb.ListAgentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAgentsResponse:
        return pb.ListAgentsResponse(agents=[agent_to_pb(a) for a in self._master.agents_view()])

    async def ListFrameworks(
        self, request: pb.ListFrameworksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListFrameworksResponse:
        total = self._master.state.active_total()
        return pb.ListFrameworksResponse(
            frameworks=[
                framework_to_pb(f, self._master, total) for f in self._master.frameworks_view()
            ],
            quotas=[role_quota_to_pb(q) for q in self._master.quota_calls.view()],
        )

    async def ListTasks(
        self, request: pb.ListTasksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTasksResponse:
        try:
            after = page_tokens.decode(request.page_token)
            states = [TaskState(s) for s in request.states]
        except ValueError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        where = TaskFilter(
            framework_ids=[i for i in (request.framework_id, *request.framework_ids) if i],
            agent_ids=[i for i in (request.agent_id, *request.agent_ids) if i],
            states=states,
        )
        state = self._master.state
        page = task_page(state, where, after, page_size(request.limit))
        last = page.last
        return pb.ListTasksResponse(
            tasks=[task_to_pb(t, _address(state.agents, t)) for t in page.tasks],
            next_page_token=page_tokens.encode(last) if last is not None else "",
            remaining=page.remaining,
        )

    async def GetTask(
        self, request: pb.GetTaskRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTaskResponse:
        async with core_errors(context):
            task = self._master.find_task(request.task_id, request.framework_id)
        return pb.GetTaskResponse(
            task=task_to_pb(task, _address(self._master.state.agents, task)),
            history=[wire.status_to_pb(s) for s in task.history],
        )

    async def ListOffers(
        self, request: pb.ListOffersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListOffersResponse:
        offers = self._master.offers_view(request.framework_id, request.agent_id)
        return pb.ListOffersResponse(offers=[_offer_summary(o) for o in offers])

    async def GetStatus(
        self, request: pb.GetStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetStatusResponse:
        leadership = self.leadership
        if leadership is not None and not (leadership.leading and self.serving()):
            # A standby's state is not the cluster's: it says so and who
            # leads (itself, while it recovers the state as the new leader,
            # as its answer to every other call says too).
            return pb.GetStatusResponse(
                address=self.address,
                version=self._version,
                started_at=self._master.started_at,
                now=self._master.clock(),
                role=pb.MASTER_ROLE_STANDBY,
                leader=leadership.leader or "",
            )
        summary = summarize(self._master.state)
        return pb.GetStatusResponse(
            address=self.address,
            version=self._version,
            started_at=self._master.started_at,
            now=self._master.clock(),
            role=pb.MASTER_ROLE_LEADER,
            leader=self.address,
            epoch=_epoch(leadership),
            agents=summary.agents,
            frameworks=summary.frameworks,
            tasks=summary.tasks,
            total=wire.resources_to_pb(summary.total),
            allocated=wire.resources_to_pb(summary.allocated),
            offered=wire.resources_to_pb(summary.offered),
            idle=wire.resources_to_pb(summary.idle),
            used=_usage(summary.used),
            quotas=[role_quota_to_pb(q) for q in self._master.quota_calls.view()],
            reservations=[
                role_reservations_to_pb(r) for r in self._master.reservation_calls.view()
            ],
        )

    async def WatchEvents(
        self, request: pb.WatchEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ClusterEvent]:
        with self._master.events.watch(request.replay) as watcher:
            for past in watcher.history:
                yield event_to_pb(past)
            if not request.follow:
                return
            yield pb.ClusterEvent(
                type=pb.EVENT_CAUGHT_UP,
                timestamp=self._master.clock(),
                message="the events above happened before; those below happen live",
            )
            while (event := await watcher.next()) is not None:
                yield event_to_pb(event)

    async def DrainAgent(
        self, request: pb.DrainAgentRequest, context: grpc.aio.ServicerContext
    ) -> pb.DrainAgentResponse:
        await self._may(context, "drain")
        async with core_errors(context):
            await to_the_end(
                self._master.agent_calls.drain(request.agent_id, request.deadline_seconds)
            )
        return pb.DrainAgentResponse()

    async def ReactivateAgent(
        self, request: pb.ReactivateAgentRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReactivateAgentResponse:
        await self._may(context, "reactivate")
        async with core_errors(context):
            await to_the_end(self._master.agent_calls.reactivate(request.agent_id))
        return pb.ReactivateAgentResponse()

    async def RemoveAgent(
        self, request: pb.RemoveAgentRequest, context: grpc.aio.ServicerContext
    ) -> pb.RemoveAgentResponse:
        await self._may(context, "remove")
        async with core_errors(context):
            await to_the_end(self._master.agent_calls.remove(request.agent_id))
        return pb.RemoveAgentResponse()

    async def TeardownFramework(
        self, request: pb.TeardownFrameworkRequest, context: grpc.aio.ServicerContext
    ) -> pb.TeardownFrameworkResponse:
        await self._may(context, "teardown")
        async with core_errors(context):
            await to_the_end(self._master.framework_calls.teardown(request.framework_id))
        return pb.TeardownFrameworkResponse()

    async def SetQuota(
        self, request: pb.SetQuotaRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetQuotaResponse:
        await self._may(context, "quota")
        config = request.quota
        async with core_errors(context):
            stand = await to_the_end(
                self._master.quota_calls.set(
                    config.role, dict(config.guarantees), dict(config.limits)
                )
            )
        return pb.SetQuotaResponse(quota=role_quota_to_pb(stand))

    async def RemoveQuota(
        self, request: pb.RemoveQuotaRequest, context: grpc.aio.ServicerContext
    ) -> pb.RemoveQuotaResponse:
        await self._may(context, "quota")
        async with core_errors(context):
            await to_the_end(self._master.quota_calls.remove(request.role))
        return pb.RemoveQuotaResponse()

    async def ListQuotas(
        self, request: pb.ListQuotasRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListQuotasResponse:
        quotas = self._master.quota_calls.view()
        return pb.ListQuotasResponse(
            quotas=[role_quota_to_pb(q) for q in quotas if request.role in ("", q.role)]
        )

    async def ReserveResources(
        self, request: pb.ReserveResourcesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReserveResourcesResponse:
        await self._may(context, "reserve")
        async with core_errors(context):
            agent = await to_the_end(
                self._master.reservation_calls.reserve(
                    request.agent_id, request.role, wire.resources_from_pb(request.resources)
                )
            )
        return pb.ReserveResourcesResponse(agent=agent_to_pb(agent))

    async def UnreserveResources(
        self, request: pb.UnreserveResourcesRequest, context: grpc.aio.ServicerContext
    ) -> pb.UnreserveResourcesResponse:
        await self._may(context, "reserve")
        async with core_errors(context):
            agent = await to_the_end(
                self._master.reservation_calls.unreserve(
                    request.agent_id, request.role, wire.resources_from_pb(request.resources)
                )
            )
        return pb.UnreserveResourcesResponse(agent=agent_to_pb(agent))

    async def _may(self, context: grpc.aio.ServicerContext, action: str) -> None:
        denied = self._master.config.acls.operator_problem(principal(), action)
        if denied:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, denied)

    async def GetTaskLogs(
        self, request: pb.GetTaskLogsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.TaskLogChunk]:
        async with core_errors(context):
            task = self._master.find_task(request.task_id, request.framework_id)
            async for data in self._logs.stream(task, request.tail_lines, request.follow):
                yield pb.TaskLogChunk(data=data)


def agent_to_pb(agent: Agent) -> common.AgentInfo:
    return common.AgentInfo(
        agent_id=agent.agent_id,
        hostname=agent.hostname,
        total=wire.resources_to_pb(agent.total),
        allocated=wire.resources_to_pb(agent.allocated),
        offered=wire.resources_to_pb(agent.offered),
        status=agent.status,
        registered_at=agent.registered_at,
        attributes=agent.attributes,
        usage=_usage(agent.usage),
        drain_deadline=agent.drain_deadline or 0.0,
        address=agent.address,
        reservations=[
            *wire.reservations_to_pb(agent.static_reserved),
            *wire.reservations_to_pb(agent.dynamic_reserved, dynamic=True),
        ],
        reserved_in_use={
            role: wire.resources_to_pb(in_use(agent, role)) for role in agent.reserved
        },
    )


def _usage(usage: Usage | None) -> common.Usage | None:
    if usage is None:
        return None
    return wire.usage_to_pb(usage)


def framework_to_pb(fw: Framework, master: Master, total: Resources) -> pb.FrameworkSummary:
    held = fw.allocated + fw.offered
    return pb.FrameworkSummary(
        info=common.FrameworkInfo(
            framework_id=fw.framework_id,
            name=fw.name,
            role=fw.role,
            user=fw.user,
            failover_timeout=fw.failover_timeout,
            control_address=fw.control_address,
        ),
        connected=fw.connected,
        removed=fw.removed,
        suppressed=fw.suppressed,
        allocated=wire.resources_to_pb(fw.allocated),
        offered=wire.resources_to_pb(fw.offered),
        dominant_share=held.dominant_share(total),
        registered_at=fw.registered_at,
        active_tasks=master.state.live_task_count(fw),
    )


def role_quota_to_pb(stand: RoleQuota) -> pb.RoleQuota:
    quota = stand.quota
    return pb.RoleQuota(
        config=pb.QuotaConfig(role=stand.role, guarantees=quota.guarantees, limits=quota.limits),
        consumption=wire.resources_to_pb(stand.consumption),
        held_back=wire.resources_to_pb(stand.held_back),
        room={k: getattr(stand.room, k) for k in quota.limits},
        at_limit=stand.at_limit,
    )


def role_reservations_to_pb(r: RoleReservations) -> pb.RoleReservations:
    return pb.RoleReservations(
        role=r.role,
        reserved=wire.resources_to_pb(r.reserved),
        dynamic=wire.resources_to_pb(r.dynamic),
        in_use=wire.resources_to_pb(r.in_use),
        agents=r.agents,
    )


def _address(agents: Mapping[str, Agent], task: Task) -> str:
    """The advertised address of the task's agent ("" if unknown or removed)."""
    agent = agents.get(task.agent_id)
    return agent.address if agent is not None else ""


def task_to_pb(task: Task, agent_address: str = "") -> pb.TaskSummary:
    spec = task.spec
    info = wire.task_to_pb(spec)
    return pb.TaskSummary(
        task_id=spec.task_id,
        framework_id=task.framework_id,
        agent_id=task.agent_id,
        name=spec.name,
        resources=info.resources,
        container=info.container,
        status=wire.status_to_pb(task.status),
        created_at=task.created_at,
        usage=_usage(task.usage),
        agent_address=agent_address,
        revocable=task.revocable,
    )


def _offer_summary(offer: Offer) -> pb.OfferSummary:
    return pb.OfferSummary(offer=offer_to_pb(offer), created_at=offer.created_at)


def event_to_pb(event: ClusterEvent) -> pb.ClusterEvent:
    msg = pb.ClusterEvent(
        seq=event.seq,
        timestamp=event.timestamp,
        type=int(event.kind),  # type: ignore[arg-type]
        agent_id=event.agent_id,
        framework_id=event.framework_id,
        message=event.message,
    )
    if event.status is not None:
        msg.status.CopyFrom(wire.status_to_pb(event.status))
    return msg
