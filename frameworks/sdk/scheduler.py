"""The callbacks a framework implements. Every one does nothing by default.

Each gets the `SchedulerDriver` to make its calls with: the real `Driver` in
production, anything with the same methods in a unit test."""

from __future__ import annotations

from dataclasses import dataclass, field

from frameworks.sdk.interface import SchedulerDriver
from offer.resources import Resources
from offer.tasks import TaskStatus


@dataclass(frozen=True, slots=True)
class Offer:
    """Free resources on one agent, usable in one accept or decline."""

    offer_id: str
    agent_id: str
    hostname: str
    resources: Resources
    # The agent's attributes (e.g. rack, zone), for placement constraints.
    attributes: dict[str, str] = field(default_factory=dict)
    # When the driver received it, on the driver's clock (Unix seconds): an
    # offer held long may be rescinded (the master's offer timeout).
    received_at: float = 0.0
    # Where other hosts (and other tasks) reach the tasks launched on it: the
    # agent's advertised IP address, at which its host ports are published.
    # An agent older than addresses advertises none: the driver puts its
    # hostname here then, the best there is, so that this is never empty.
    address: str = ""
    # The part of `resources` reserved on the agent for the framework's role
    # (docs/reservations.md): offered to frameworks of that role only. The
    # rest is unreserved; `resources` is the whole. A task launched on the
    # offer uses the reservation first. Empty when nothing is reserved.
    reserved: Resources = field(default_factory=Resources)
    # Revocable resources (docs/revocable.md), apart from `resources` (which
    # may then be empty): cpus and mem lent from other tasks' idle
    # allocation, for tasks marked `revocable` only, which their agent may
    # kill at any time (reason PREEMPTED). Only to a Driver made with
    # `accepts_revocable=True`; empty otherwise.
    revocable: Resources = field(default_factory=Resources)


class Scheduler:
    """Base class of a framework's scheduler.

    The driver calls these on one asyncio loop, one at a time and in the
    order events arrive. A status update is acknowledged to the master only
    after `update` (or `update_many`) returns without raising, so an update
    whose handling failed is delivered again.
    """

    # Whether it can use revocable resources (Offer.revocable): its Driver
    # then subscribes with FrameworkInfo.accepts_revocable, unless told
    # otherwise. Only tasks that may be killed at any time belong there.
    accepts_revocable: bool = False

    async def subscribed(self, driver: SchedulerDriver, framework_id: str) -> None:
        """The master accepted the subscription (first time or after a reconnect)."""

    async def offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        """New offers. Accept or decline each; unanswered offers hold resources
        (until the master's offer timeout). If it raises, the driver declines
        the offers it had not accepted or declined, and logs the error."""

    async def rescind(self, driver: SchedulerDriver, offer_id: str) -> None:
        """An offer is no longer valid; launching on it would be refused."""

    async def update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        """A task changed state."""

    async def update_many(self, driver: SchedulerDriver, statuses: list[TaskStatus]) -> None:
        """Updates that arrived together, in order. By default each goes to
        `update` on its own. Override it to take them as one (one
        transaction for all, say): they are then acknowledged, or delivered
        again, together."""
        for status in statuses:
            await self.update(driver, status)

    async def failure(self, driver: SchedulerDriver, agent_id: str) -> None:
        """An agent was lost; LOST updates for its tasks follow."""

    async def error(self, driver: SchedulerDriver, message: str) -> None:
        """The master ended the subscription for good (e.g. torn down)."""

    async def disconnected(self, driver: SchedulerDriver) -> None:
        """The stream to the master broke; the driver is reconnecting."""
