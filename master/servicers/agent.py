"""Agent service: one bidirectional stream per agent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc

from master.core import ErrorKind, Master, MasterError
from master.logs import LogRelay
from master.messages import (
    AgentCommand,
    AgentRefused,
    AgentRegistered,
    CancelLogs,
    KillTask,
    LaunchTask,
    RequestLogs,
    UpdatesPersisted,
)
from master.servicers.calls import error_code, to_the_end
from offer import wire
from offer.folding import folded
from offer.outbox import Outbox
from offer.resources import Resources, Usage
from offer.security.server import principal
from offer.v1 import agent_pb2 as pb
from offer.v1 import agent_pb2_grpc

log = logging.getLogger(__name__)


class AgentServicer(agent_pb2_grpc.AgentServicer):
    def __init__(self, master: Master, logs: LogRelay) -> None:
        self._master = master
        self._calls = master.agent_calls
        self._logs = logs

    async def Connect(
        self,
        request_iterator: AsyncIterator[pb.AgentMessage],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.MasterMessage]:
        first = await anext(aiter(request_iterator), None)
        if first is None or not first.HasField("register"):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "the first message on Connect must be register"
            )
            return
        reg = first.register
        caller = principal()
        denied = self._master.config.acls.agent_problem(caller)
        if denied:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, denied)
        link: Outbox[AgentCommand] = Outbox()
        try:
            agent = await to_the_end(
                self._calls.register(
                    reg.agent_id,
                    reg.hostname,
                    wire.resources_from_pb(reg.total),
                    [wire.status_from_pb(s) for s in reg.tasks],
                    link,
                    dict(reg.attributes),
                    caller,
                    reg.address,
                    wire.reservations_from_pb(reg.reservations),
                ),
                on_abandoned=lambda agent: self._calls.disconnected(agent.agent_id, link),
            )
        except MasterError as err:
            if err.kind is not ErrorKind.INVALID_ARGUMENT:
                # A claim of another's id: the status code says retrying is futile.
                await context.abort(error_code(err), str(err))
            # A malformed registration: the refusal, then the end of the stream.
            async for message in folded(link, command_to_pb, "message", _LISTS):
                yield message
            return
        reader = asyncio.create_task(self._read(agent.agent_id, request_iterator, link))
        try:
            async for message in folded(link, command_to_pb, "message", _LISTS):
                yield message
        finally:
            reader.cancel()
            self._calls.disconnected(agent.agent_id, link)
            self._logs.agent_gone(agent.agent_id)

    async def _read(
        self,
        agent_id: str,
        messages: AsyncIterator[pb.AgentMessage],
        link: Outbox[AgentCommand],
    ) -> None:
        # Updates are applied in the order read, and each is acknowledged and
        # forwarded only once durable; the next message is read meanwhile, so
        # that an agent's updates share group commits instead of waiting for
        # one each.
        in_flight = asyncio.Semaphore(MESSAGES_IN_FLIGHT)
        writes: set[asyncio.Task[None]] = set()
        try:
            async for message in messages:
                kind = message.WhichOneof("message")
                if kind == "status_update":
                    statuses = [wire.status_from_pb(s) for s in message.status_update.statuses]
                    await in_flight.acquire()
                    write = asyncio.ensure_future(self._calls.status_updates(agent_id, statuses))
                    writes.add(write)
                    write.add_done_callback(lambda done: _settled(done, writes, in_flight))
                elif kind == "engine":
                    engine = message.engine
                    self._calls.engine_changed(agent_id, engine.available, engine.message)
                elif kind == "usage":
                    self._calls.record_usage(agent_id, *_usage_from_pb(message.usage))
                elif kind == "log_chunk":
                    chunk = message.log_chunk
                    self._logs.deliver(chunk.request_id, chunk.data, chunk.eof, chunk.error)
        except (asyncio.CancelledError, grpc.aio.AioRpcError):
            pass
        except Exception:
            log.exception("agent %s stream failed", agent_id)
        finally:
            link.close()


# Status update messages of one agent being made durable at once.
MESSAGES_IN_FLIGHT = 64


def _settled(
    write: asyncio.Task[None], writes: set[asyncio.Task[None]], in_flight: asyncio.Semaphore
) -> None:
    writes.discard(write)
    in_flight.release()
    if not write.cancelled() and write.exception() is not None:
        log.error("a status update failed", exc_info=write.exception())


def _usage_from_pb(
    report: pb.UsageReport,
) -> tuple[Usage, dict[tuple[str, str], Usage], Resources | None]:
    tasks = {(t.framework_id, t.task_id): wire.usage_from_pb(t.usage) for t in report.tasks}
    # An agent older than revocable resources sends no slack: nothing to lend.
    slack = report.revocable_slack
    lendable = Resources(slack.cpus, slack.mem) if report.HasField("revocable_slack") else None
    return wire.usage_from_pb(report.machine), tasks, lendable


# A run of one framework's launches, or of acknowledgements, is one message.
_LISTS = {"launch_task": "tasks", "status_update_ack": "uuids"}


def command_to_pb(command: AgentCommand) -> pb.MasterMessage:
    match command:
        case AgentRegistered(agent_id):
            return pb.MasterMessage(registered=pb.Registered(agent_id=agent_id))
        case LaunchTask(framework_id, spec):
            return pb.MasterMessage(
                launch_task=pb.LaunchTask(framework_id=framework_id, tasks=[wire.task_to_pb(spec)])
            )
        case KillTask(framework_id, task_id, grace, reason):
            return pb.MasterMessage(
                kill_task=pb.KillTask(
                    framework_id=framework_id,
                    task_id=task_id,
                    grace_seconds=grace,
                    reason=int(reason),  # type: ignore[arg-type]
                )
            )
        case UpdatesPersisted(uuids):
            return pb.MasterMessage(status_update_ack=pb.StatusUpdateAck(uuids=uuids))
        case AgentRefused(reason):
            return pb.MasterMessage(shutdown_reason=reason)
        case RequestLogs(request_id, framework_id, task_id, tail_lines, follow):
            return pb.MasterMessage(
                log_request=pb.LogRequest(
                    request_id=request_id,
                    framework_id=framework_id,
                    task_id=task_id,
                    tail_lines=tail_lines,
                    follow=follow,
                )
            )
        case CancelLogs(request_id):
            return pb.MasterMessage(log_cancel=pb.LogCancel(request_id=request_id))
    raise TypeError(f"not an agent command: {command!r}")
