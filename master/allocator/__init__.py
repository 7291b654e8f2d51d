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
from master.allocator.sorter import DRFSorter, Sorter

__all__ = [
    "AgentSlot",
    "AllocationInput",
    "DRFSorter",
    "FrameworkDemand",
    "OfferPlan",
    "Sorter",
    "allocate",
    "is_allocatable",
]
