"""The JSON API of the master's own views: the Operator service's answers.

The OperatorServicer is called in-process, so every answer is exactly the
message `offerctl` gets (same conversion, same errors, e.g. "no task
'web-9'"), turned into JSON by protobuf's own mapping with the proto's field
names. Nothing is converted twice, and a field the servicer gains appears
here with no change.

    GET /api/v1/status                      GetStatus
    GET /api/v1/agents                      ListAgents
    GET /api/v1/frameworks                  ListFrameworks
    GET /api/v1/tasks?framework_id=&agent_id=&state=&limit=&page_token=
                                            ListTasks (state: names, comma-separated)
    GET /api/v1/tasks/{task_id}?framework_id=   GetTask (with its history)
    GET /api/v1/tasks/{task_id}/logs?tail=N&follow=1&framework_id=
                                            GetTaskLogs, as text/plain
    GET /api/v1/offers?framework_id=&agent_id=  ListOffers
    GET /api/v1/events?replay=N             WatchEvents (follow), as server-sent events
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from master.servicers.operator import OperatorServicer
from master.ui.errors import AbortAsHttp, ApiError, bad_request
from master.ui.streams import QUIET, Pump
from offer.v1 import common_pb2 as common
from offer.v1 import operator_pb2 as pb

# A comment line on an idle event stream this often: proxies keep the
# connection, and a browser that left is noticed (the write fails).
KEEPALIVE_SECONDS = 15.0
# A log answer waits this long for the first output before it commits to a
# 200 (so that an agent that cannot be reached is a 503, not a 200).
FIRST_LOG_WAIT_SECONDS = 1.0
# What WatchEvents keeps to replay.
MAX_REPLAY = 1000
# The largest limit a query may name (ListTasks caps it to its own maximum).
MAX_LIMIT = 2**32 - 1
# What `state=` may name (without TASK_, in any case).
_TASK_STATES = frozenset(common.TaskState.keys()) - {"TASK_STATE_UNSPECIFIED"}
# The browser reconnects an event stream after this long.
RETRY_MS = 2000


def to_json(message: Message) -> dict[str, Any]:
    """A proto message as the API's JSON: proto field names, every field
    (zeros and empty lists too, so a page need not guess a default)."""
    converted: dict[str, Any] = MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return converted


class OperatorApi:
    def __init__(self, operator: OperatorServicer, closing: asyncio.Event) -> None:
        self._operator = operator
        self._closing = closing
        self._context = AbortAsHttp()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v1/status", self.status)
        router.add_get("/api/v1/agents", self.agents)
        router.add_get("/api/v1/frameworks", self.frameworks)
        router.add_get("/api/v1/tasks", self.tasks)
        router.add_get("/api/v1/tasks/{task_id}", self.task)
        router.add_get("/api/v1/tasks/{task_id}/logs", self.logs)
        router.add_get("/api/v1/offers", self.offers)
        router.add_get("/api/v1/events", self.events)

    def _check_leading(self) -> None:
        check_leading(self._operator)

    async def status(self, _request: web.Request) -> web.Response:
        return web.json_response(
            to_json(await self._operator.GetStatus(pb.GetStatusRequest(), self._context))
        )

    async def agents(self, _request: web.Request) -> web.Response:
        self._check_leading()
        answer = await self._operator.ListAgents(pb.ListAgentsRequest(), self._context)
        return web.json_response(to_json(answer))

    async def frameworks(self, _request: web.Request) -> web.Response:
        self._check_leading()
        answer = await self._operator.ListFrameworks(pb.ListFrameworksRequest(), self._context)
        return web.json_response(to_json(answer))

    async def tasks(self, request: web.Request) -> web.Response:
        self._check_leading()
        query = request.query
        asked = pb.ListTasksRequest(
            framework_id=query.get("framework_id", ""),
            agent_id=query.get("agent_id", ""),
            states=_task_states(query.get("state", "")),
            limit=_count(query.get("limit", ""), "limit", MAX_LIMIT),
            page_token=query.get("page_token", ""),
        )
        return web.json_response(to_json(await self._operator.ListTasks(asked, self._context)))

    async def task(self, request: web.Request) -> web.Response:
        self._check_leading()
        asked = pb.GetTaskRequest(
            task_id=request.match_info["task_id"],
            framework_id=request.query.get("framework_id", ""),
        )
        return web.json_response(to_json(await self._operator.GetTask(asked, self._context)))

    async def offers(self, request: web.Request) -> web.Response:
        self._check_leading()
        query = request.query
        asked = pb.ListOffersRequest(
            framework_id=query.get("framework_id", ""), agent_id=query.get("agent_id", "")
        )
        return web.json_response(to_json(await self._operator.ListOffers(asked, self._context)))

    async def logs(self, request: web.Request) -> web.StreamResponse:
        """The task's output as it comes (chunked text/plain): `curl -N` works.
        An error before any output is an HTTP error; one after it (the
        agent went away) ends the text with a line saying so."""
        self._check_leading()
        asked = pb.GetTaskLogsRequest(
            task_id=request.match_info["task_id"],
            framework_id=request.query.get("framework_id", ""),
            tail_lines=_count(request.query.get("tail", "0"), "tail", 1_000_000),
            follow=_flag(request.query.get("follow", "")),
        )
        # Unknown tasks are a 404 before anything is sent.
        await self._operator.GetTask(
            pb.GetTaskRequest(task_id=asked.task_id, framework_id=asked.framework_id),
            self._context,
        )
        chunks = Pump(_data(self._operator.GetTaskLogs(asked, self._context)), self._closing)
        try:
            first = await chunks.next(FIRST_LOG_WAIT_SECONDS)
        except StopAsyncIteration:
            first = b""
        except BaseException:
            await chunks.close()
            raise
        response = web.StreamResponse(
            headers={"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
        )
        try:
            await response.prepare(request)
            if first is not QUIET:
                await response.write(first)  # type: ignore[arg-type]
            while True:
                chunk = await chunks.next(KEEPALIVE_SECONDS)
                if chunk is not QUIET:
                    await response.write(chunk)  # type: ignore[arg-type]
        except StopAsyncIteration:
            pass
        except ApiError as err:
            await response.write(f"\n[offer-master] the log stopped: {err.message}\n".encode())
        except ConnectionResetError:
            pass  # the browser left
        finally:
            await chunks.close()
        return response

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Cluster events as server-sent events (`data:` the event's JSON,
        `id:` its seq): first the last `replay` ones, then EVENT_CAUGHT_UP,
        then each as it happens until the browser leaves or the master
        stops. A browser's EventSource reconnects by itself."""
        self._check_leading()
        replay = _count(request.query.get("replay", "0"), "replay", MAX_REPLAY)
        asked = pb.WatchEventsRequest(replay=replay, follow=True)
        events = Pump(self._operator.WatchEvents(asked, self._context), self._closing)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx: do not hold the stream back
            }
        )
        try:
            await response.prepare(request)
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            while True:
                event = await events.next(KEEPALIVE_SECONDS)
                if event is QUIET:
                    await response.write(b": keep-alive\n\n")
                    continue
                assert isinstance(event, pb.ClusterEvent)
                data = json.dumps(to_json(event), separators=(",", ":"))
                # seq 0 (CAUGHT_UP, DROPPED) belongs to this stream only: no id.
                line = f"id: {event.seq}\n" if event.seq else ""
                await response.write(f"{line}data: {data}\n\n".encode())
        except (StopAsyncIteration, ConnectionResetError):
            pass
        finally:
            await events.close()
        return response


def check_leading(operator: OperatorServicer) -> None:
    """A standby's views are not the cluster's: its API says so and names
    the leader, as its GetStatus does (/api/v1/status answers on a standby)."""
    leadership = operator.leadership
    if leadership is None or (leadership.leading and operator.serving()):
        return
    leader = leadership.leader
    where = f"the leader is {leader}: open its web UI" if leader else "no leader is elected yet"
    raise ApiError(503, "UNAVAILABLE", f"this master is a standby; {where}")


async def _data(chunks: AsyncIterator[pb.TaskLogChunk]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield chunk.data


def _count(text: str, name: str, most: int) -> int:
    try:
        value = int(text or "0")
    except ValueError:
        value = -1
    if not 0 <= value <= most:
        raise bad_request(f"{name} must be a whole number from 0 to {most}, not {text!r}")
    return value


def _task_states(text: str) -> list[str]:
    """`running,FAILED,task_lost` as TaskState names; "" is none (every state)."""
    states = []
    for word in filter(None, (n.strip().upper() for n in text.split(","))):
        name = word if word.startswith("TASK_") else f"TASK_{word}"
        if name not in _TASK_STATES:
            raise bad_request(f"state {word.lower()!r} is not a task state (running, failed, ...)")
        states.append(name)
    return states


def _flag(text: str) -> bool:
    if text.lower() in ("", "0", "false", "no"):
        return False
    if text.lower() in ("1", "true", "yes"):
        return True
    raise bad_request(f"follow must be 1 or 0, not {text!r}")
