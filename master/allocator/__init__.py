"""The allocator: level one of two-level scheduling. Pure: no I/O, no clock.

`allocate` takes an immutable view of the cluster and returns the offers to
make; the master core applies them. See `sorter` for the ordering policy.
"""

from master.allocator.allocator import (
    AgentSlot,
    AllocationInput,
    FrameworkDemand,
    OfferPlan,
    allocate,
    is_allocatable,
)
from master.allocator.quota import NO_LIMIT, QUOTA_KINDS, Quota, owed, quota_problem
from master.allocator.sorter import DRFSorter, Sorter

__all__ = [
    "NO_LIMIT",
    "QUOTA_KINDS",
    "AgentSlot",
    "AllocationInput",
    "DRFSorter",
    "FrameworkDemand",
    "OfferPlan",
    "Quota",
    "Sorter",
    "allocate",
    "is_allocatable",
    "owed",
    "quota_problem",
]
