"""Ordering policies for the allocator, behind one small interface.

A sorter orders clients (roles, or frameworks within a role) by who should
be offered resources next. Dominant Resource Fairness (Ghodsi et al., NSDI
2011) is the default; the interface lets another policy drop in.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from typing import Protocol

from offer.resources import Resources


class Sorter(Protocol):
    """Who goes next. Clients are named by strings."""

    def add(
        self, name: str, allocation: Resources, weight: float = 1.0, served_at: float = 0.0
    ) -> None:
        """Tracks a client that holds `allocation` and was last offered
        something at `served_at` (a client added twice keeps the sum and the
        latest time)."""

    def allocate(self, name: str, amount: Resources) -> None:
        """Records that `name` was given `amount` more."""

    def sorted(self) -> Iterator[str]:
        """Clients in the order they should be offered to, first first.
        Valid until the next add() or allocate()."""


_Key = tuple[float, float, str]


class DRFSorter:
    """Lowest weighted dominant share first. Equal shares go to whoever was
    served least recently, so that a client which declines everything cannot
    keep the front of the queue; then by name, for determinism.

    The order is kept sorted as allocations change: an allocation moves one
    client (a bisect and an insert), instead of re-sorting all of them, which
    is what keeps a cycle over 10,000 agents cheap with many frameworks.
    """

    def __init__(self, total: Resources) -> None:
        self._total = total
        self._allocation: dict[str, Resources] = {}
        self._weight: dict[str, float] = {}
        self._served_at: dict[str, float] = {}
        self._keys: dict[str, _Key] = {}
        self._order: list[_Key] | None = None

    def add(
        self, name: str, allocation: Resources, weight: float = 1.0, served_at: float = 0.0
    ) -> None:
        if weight <= 0:
            raise ValueError(f"weight of {name!r} must be > 0, got {weight}")
        self._allocation[name] = self._allocation.get(name, Resources()) + allocation
        self._weight[name] = weight
        self._served_at[name] = max(served_at, self._served_at.get(name, 0.0))
        self._keys[name] = self._key(name)
        self._order = None

    def allocate(self, name: str, amount: Resources) -> None:
        self._allocation[name] = self._allocation[name] + amount
        old, new = self._keys[name], self._key(name)
        self._keys[name] = new
        if self._order is not None:
            del self._order[bisect_left(self._order, old)]
            insort(self._order, new)

    def share(self, name: str) -> float:
        return self._allocation[name].dominant_share(self._total) / self._weight[name]

    def sorted(self) -> Iterator[str]:
        if self._order is None:
            self._order = sorted(self._keys.values())
        return (name for _, _, name in self._order)

    def _key(self, name: str) -> _Key:
        return (self.share(name), self._served_at[name], name)
