"""Ordering policies for the allocator, behind one small interface.

A sorter orders clients (roles, or frameworks within a role) by who should
be offered resources next. Dominant Resource Fairness (Ghodsi et al., NSDI
2011) is the default; the interface lets another policy drop in.
"""

from __future__ import annotations

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

    def sorted(self) -> list[str]:
        """Clients in the order they should be offered to, first first."""


class DRFSorter:
    """Lowest weighted dominant share first. Equal shares go to whoever was
    served least recently, so that a client which declines everything cannot
    keep the front of the queue; then by name, for determinism."""

    def __init__(self, total: Resources) -> None:
        self._total = total
        self._allocation: dict[str, Resources] = {}
        self._weight: dict[str, float] = {}
        self._served_at: dict[str, float] = {}
        self._order: list[str] | None = None

    def add(
        self, name: str, allocation: Resources, weight: float = 1.0, served_at: float = 0.0
    ) -> None:
        if weight <= 0:
            raise ValueError(f"weight of {name!r} must be > 0, got {weight}")
        self._allocation[name] = self._allocation.get(name, Resources()) + allocation
        self._weight[name] = weight
        self._served_at[name] = max(served_at, self._served_at.get(name, 0.0))
        self._order = None

    def allocate(self, name: str, amount: Resources) -> None:
        self._allocation[name] = self._allocation[name] + amount
        self._order = None

    def share(self, name: str) -> float:
        return self._allocation[name].dominant_share(self._total) / self._weight[name]

    def sorted(self) -> list[str]:
        if self._order is None:
            self._order = sorted(
                self._allocation, key=lambda n: (self.share(n), self._served_at[n], n)
            )
        return self._order
