"""The framework SDK: what a framework author imports.

    from frameworks.sdk import Driver, Offer, Scheduler, TaskSpec, TaskStatus

Subclass `Scheduler`, override the callbacks you need, and run a `Driver`.
"""

from frameworks.sdk.driver import Acceptance, CallRefusedError, Driver
from frameworks.sdk.scheduler import Offer, Scheduler
from frameworks.sdk.tasks import (
    Constraint,
    Packing,
    Placement,
    check_constraints,
    make_task,
    pack,
)
from offer.resources import Resources
from offer.tasks import (
    HealthCheck,
    PortMapping,
    StatusReason,
    TaskSpec,
    TaskState,
    TaskStatus,
    Volume,
)

__all__ = [
    "Acceptance",
    "CallRefusedError",
    "Constraint",
    "Driver",
    "HealthCheck",
    "Offer",
    "Packing",
    "Placement",
    "PortMapping",
    "Resources",
    "Scheduler",
    "StatusReason",
    "TaskSpec",
    "TaskState",
    "TaskStatus",
    "Volume",
    "check_constraints",
    "make_task",
    "pack",
]
