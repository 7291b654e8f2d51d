"""The framework SDK: what a framework author imports.

    from offer.frameworks.sdk import Driver, Offer, Scheduler, TaskSpec, TaskStatus

Subclass `Scheduler`, override the callbacks you need, and run a `Driver`.
"""

from offer.frameworks.sdk.driver import CallRefusedError, Driver
from offer.frameworks.sdk.scheduler import Offer, Scheduler
from offer.resources import Resources
from offer.tasks import StatusReason, TaskSpec, TaskState, TaskStatus

__all__ = [
    "CallRefusedError",
    "Driver",
    "Offer",
    "Resources",
    "Scheduler",
    "StatusReason",
    "TaskSpec",
    "TaskState",
    "TaskStatus",
]
