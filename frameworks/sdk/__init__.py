"""The framework SDK: what a framework author imports.

    from frameworks.sdk import Driver, Offer, Scheduler, TaskSpec, TaskStatus

Subclass `Scheduler` (or `Framework`, a Scheduler that keeps records of its
tasks), override the callbacks you need, and run a `Driver`. Callbacks get a
`SchedulerDriver`: the Driver in production, a stand-in in a unit test.
"""

from frameworks.sdk.driver import Driver
from frameworks.sdk.framework import Framework
from frameworks.sdk.interface import Acceptance, CallRefusedError, SchedulerDriver
from frameworks.sdk.placement import STRATEGIES, Strategy, place_tasks, rank_offers
from frameworks.sdk.reconcile import Reconciliation
from frameworks.sdk.scheduler import Offer, Scheduler
from frameworks.sdk.tasks import (
    Constraint,
    OffersPacking,
    Packing,
    Placement,
    check_constraints,
    make_task,
    pack,
    pack_offers,
    task_problem,
)
from offer.resources import Resources
from offer.tasks import (
    HealthCheck,
    NamedVolume,
    PortMapping,
    StatusReason,
    TaskSpec,
    TaskState,
    TaskStatus,
    Volume,
)

__all__ = [
    "STRATEGIES",
    "Acceptance",
    "CallRefusedError",
    "Constraint",
    "Driver",
    "Framework",
    "HealthCheck",
    "NamedVolume",
    "Offer",
    "OffersPacking",
    "Packing",
    "Placement",
    "PortMapping",
    "Reconciliation",
    "Resources",
    "Scheduler",
    "SchedulerDriver",
    "StatusReason",
    "Strategy",
    "TaskSpec",
    "TaskState",
    "TaskStatus",
    "Volume",
    "check_constraints",
    "make_task",
    "pack",
    "pack_offers",
    "place_tasks",
    "rank_offers",
    "task_problem",
]
