"""A straightforward DRF sorter that re-sorts every client after each
allocation: the reference the shipped sorter is measured against, through
the same Sorter interface."""

from __future__ import annotations

from collections.abc import Iterator

from offer.resources import Resources


class ResortingDRFSorter:
    def __init__(self, total: Resources) -> None:
        self._total = total
        self._allocation: dict[str, Resources] = {}
        self._weight: dict[str, float] = {}
        self._served_at: dict[str, float] = {}

    def add(
        self, name: str, allocation: Resources, weight: float = 1.0, served_at: float = 0.0
    ) -> None:
        self._allocation[name] = self._allocation.get(name, Resources()) + allocation
        self._weight[name] = weight
        self._served_at[name] = max(served_at, self._served_at.get(name, 0.0))

    def allocate(self, name: str, amount: Resources) -> None:
        self._allocation[name] = self._allocation[name] + amount

    def sorted(self) -> Iterator[str]:
        def key(n: str) -> tuple[float, float, str]:
            share = self._allocation[n].dominant_share(self._total) / self._weight[n]
            return (share, self._served_at[n], n)

        return iter(sorted(self._allocation, key=key))
