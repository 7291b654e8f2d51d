"""What the master sends down its streams, as domain messages, and the
per-connection outbox that carries them. Servicers turn these into protobuf."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from offer.master.cluster import Offer
from offer.tasks import StatusReason, TaskSpec, TaskStatus

T = TypeVar("T")


# Events for frameworks (Scheduler.Subscribe).
@dataclass(frozen=True, slots=True)
class Subscribed:
    framework_id: str
    heartbeat_interval: float


@dataclass(frozen=True, slots=True)
class OffersMade:
    offers: tuple[Offer, ...]


@dataclass(frozen=True, slots=True)
class OfferRescinded:
    offer_id: str


@dataclass(frozen=True, slots=True)
class StatusChanged:
    status: TaskStatus


@dataclass(frozen=True, slots=True)
class AgentFailed:
    agent_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionEnded:
    message: str


@dataclass(frozen=True, slots=True)
class Heartbeat:
    pass


FrameworkEvent = (
    Subscribed
    | OffersMade
    | OfferRescinded
    | StatusChanged
    | AgentFailed
    | SubscriptionEnded
    | Heartbeat
)


# Commands for agents (Agent.Connect).
@dataclass(frozen=True, slots=True)
class AgentRegistered:
    agent_id: str


@dataclass(frozen=True, slots=True)
class LaunchTask:
    framework_id: str
    spec: TaskSpec


@dataclass(frozen=True, slots=True)
class KillTask:
    framework_id: str
    task_id: str
    grace_seconds: float = 0.0
    reason: StatusReason = StatusReason.KILLED_BY_REQUEST


@dataclass(frozen=True, slots=True)
class UpdatePersisted:
    uuid: str


@dataclass(frozen=True, slots=True)
class AgentRefused:
    reason: str


@dataclass(frozen=True, slots=True)
class RequestLogs:
    request_id: str
    framework_id: str
    task_id: str
    tail_lines: int
    follow: bool


@dataclass(frozen=True, slots=True)
class CancelLogs:
    request_id: str


AgentCommand = (
    AgentRegistered
    | LaunchTask
    | KillTask
    | UpdatePersisted
    | AgentRefused
    | RequestLogs
    | CancelLogs
)


class Outbox(Generic[T]):
    """An unbounded FIFO for one stream; closing it ends the stream after
    what was already sent."""

    _CLOSED = object()

    def __init__(self) -> None:
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self.closed = False

    def send(self, item: T) -> None:
        if not self.closed:
            self._queue.put_nowait(item)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(self._CLOSED)

    async def __aiter__(self) -> AsyncIterator[T]:
        while True:
            item = await self._queue.get()
            if item is self._CLOSED:
                return
            yield item  # type: ignore[misc]
