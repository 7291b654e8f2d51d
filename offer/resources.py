"""Resource amounts and their arithmetic (pure; shared by master, agent and SDK).

CPUs are kept as fixed-point millicores internally (as Mesos does) so that
repeated additions and subtractions never drift: 0.1 + 0.2 - 0.3 is exactly 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from offer import ranges
from offer.ranges import Ranges

__all__ = [
    "MIN_TASK_MEM",
    "ResourceParseError",
    "Resources",
    "Usage",
    "parse_resources",
    "total",
]

# Docker refuses memory limits under 6 MiB.
MIN_TASK_MEM = 6.0

_KINDS = ("cpus", "mem", "disk")
_ALL_KINDS = (*_KINDS, "ports")


def _round(value: float) -> float:
    return round(value, 3)


@dataclass(frozen=True, slots=True)
class Resources:
    """An amount of CPU (cores), memory and disk (MiB), and a set of ports
    (sorted, disjoint, inclusive ranges). Immutable."""

    cpus: float = 0.0
    mem: float = 0.0
    disk: float = 0.0
    ports: Ranges = ()

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            _round(self.cpus + other.cpus),
            _round(self.mem + other.mem),
            _round(self.disk + other.disk),
            ranges.union(self.ports, other.ports) if other.ports else self.ports,
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            _round(self.cpus - other.cpus),
            _round(self.mem - other.mem),
            _round(self.disk - other.disk),
            ranges.difference(self.ports, other.ports) if other.ports else self.ports,
        )

    def contains(self, other: Resources) -> bool:
        """True when `other` fits inside this amount on every kind."""
        return (
            self.cpus >= other.cpus
            and self.mem >= other.mem
            and self.disk >= other.disk
            and (not other.ports or ranges.contains(self.ports, other.ports))
        )

    def is_empty(self) -> bool:
        return self.cpus <= 0 and self.mem <= 0 and self.disk <= 0 and not self.ports

    def without_ports(self) -> Resources:
        return Resources(self.cpus, self.mem, self.disk)

    def shortfall(self, needed: Resources) -> str:
        """Says which kinds `needed` exceeds this amount by, for error messages."""
        parts = [
            f"{kind} {getattr(needed, kind):g} > {getattr(self, kind):g}"
            for kind in _KINDS
            if getattr(needed, kind) > getattr(self, kind)
        ]
        missing = ranges.difference(needed.ports, self.ports)
        if missing:
            parts.append(f"ports {ranges.to_text(missing)} not offered")
        return ", ".join(parts)

    def dominant_share(self, total: Resources) -> float:
        """The largest fraction of `total` this amount takes on any kind (DRF)."""
        share = 0.0
        for kind in ("cpus", "mem"):
            whole = getattr(total, kind)
            if whole > 0:
                share = max(share, getattr(self, kind) / whole)
        return share

    def __str__(self) -> str:
        text = f"cpus:{self.cpus:g};mem:{self.mem:g}"
        if self.disk:
            text += f";disk:{self.disk:g}"
        if self.ports:
            text += f";ports:[{ranges.to_text(self.ports)}]"
        return text


def total(amounts: Iterable[Resources]) -> Resources:
    """The sum of `amounts`, made as one Resources: summed as plain numbers
    and rounded once, which gives what adding them one by one gives (each has
    at most three decimals, and the float error stays far below the last)."""
    cpus = mem = disk = 0.0
    ports: Ranges = ()
    for amount in amounts:
        cpus, mem, disk = cpus + amount.cpus, mem + amount.mem, disk + amount.disk
        if amount.ports:
            ports = ranges.union(ports, amount.ports)
    return Resources(_round(cpus), _round(mem), _round(disk), ports)


@dataclass(frozen=True, slots=True)
class Usage:
    """Measured use of a machine or a container (telemetry: not persisted)."""

    cpus_used: float  # cores, averaged over the last interval
    mem_used: float  # MiB
    timestamp: float  # Unix seconds


class ResourceParseError(ValueError):
    """A resource string that does not read as `name:amount;...`."""


def parse_resources(text: str) -> Resources:
    """Reads "cpus:2;mem:1024[;disk:N][;ports:[31000-32000]]" (Mesos's
    --resources syntax). Raises ResourceParseError naming the faulty part."""
    amounts: dict[str, float] = {}
    ports: Ranges = ()
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        name, sep, value = part.partition(":")
        name = name.strip()
        if not sep:
            raise ResourceParseError(f"'{part}' is not NAME:AMOUNT (e.g. 'cpus:2;mem:1024')")
        if name not in _ALL_KINDS:
            raise ResourceParseError(f"unknown resource '{name}' (known: {', '.join(_ALL_KINDS)})")
        if name in amounts or (name == "ports" and ports):
            raise ResourceParseError(f"resource '{name}' is given twice")
        if name == "ports":
            try:
                ports = ranges.parse(value)
            except ValueError as err:
                raise ResourceParseError(f"'{part}': {err} (e.g. 'ports:[31000-32000]')") from None
            continue
        try:
            amount = float(value)
        except ValueError:
            raise ResourceParseError(f"'{value.strip()}' is not a number in '{part}'") from None
        if not amount >= 0 or amount == float("inf"):
            raise ResourceParseError(f"'{part}' must be a finite amount >= 0")
        amounts[name] = amount
    if not amounts and not ports:
        raise ResourceParseError("no resources given (e.g. 'cpus:2;mem:1024')")
    return Resources(**{k: _round(v) for k, v in amounts.items()}, ports=ports)
