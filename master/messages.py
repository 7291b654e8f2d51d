"""What the master sends down its streams, as domain messages (carried by
the `Outbox` of each link, see `master.links`). Servicers turn these into
protobuf, folding what queued up together into fewer messages."""

from __future__ import annotations

from dataclasses import dataclass

from master.cluster import Offer
from offer.tasks import StatusReason, TaskSpec, TaskStatus


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
class UpdatesPersisted:
    uuids: tuple[str, ...]


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
    | UpdatesPersisted
    | AgentRefused
    | RequestLogs
    | CancelLogs
)
