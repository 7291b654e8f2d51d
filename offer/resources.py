"""Resource amounts and their arithmetic (pure; shared by master, agent and SDK).

CPUs are kept as fixed-point millicores internally (as Mesos does) so that
repeated additions and subtractions never drift: 0.1 + 0.2 - 0.3 is exactly 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from offer import ranges
from offer.ranges import Ranges

__all__ = [
    "MIN_TASK_MEM",
    "UNRESERVED",
    "AgentResources",
    "ResourceParseError",
    "Resources",
    "Usage",
    "parse_agent_resources",
    "parse_resources",
    "total",
]

# Docker refuses memory limits under 6 MiB.
MIN_TASK_MEM = 6.0

_KINDS = ("cpus", "mem", "disk")
_ALL_KINDS = (*_KINDS, "ports")
# The role of resources reserved for nobody (Mesos's default role).
UNRESERVED = "*"
# As master.validation's role rule (offer cannot import master).
_ROLE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")


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
    --resources syntax, without roles). Raises ResourceParseError naming the
    faulty part."""
    parsed = _parse(text)
    reserved = sorted(role for role in parsed if role != UNRESERVED)
    if reserved:
        raise ResourceParseError(
            f"a role is not allowed here ('{reserved[0]}'): give plain amounts, "
            "e.g. 'cpus:2;mem:1024'"
        )
    return parsed[UNRESERVED]


@dataclass(frozen=True, slots=True)
class AgentResources:
    """An agent's resources as its --resources names them: the whole amount,
    and the parts of it statically reserved for roles (Mesos's
    "cpus(prod):2"). What no role names is unreserved."""

    total: Resources
    # Role -> the amount reserved for it (cpus, mem, disk; never ports).
    reserved: Mapping[str, Resources] = field(default_factory=dict)

    @property
    def unreserved(self) -> Resources:
        return self.total - total(self.reserved.values())


def parse_agent_resources(text: str) -> AgentResources:
    """Reads an agent's --resources, where an amount may name the role it is
    reserved for: "cpus(prod):2;mem(prod):2048;cpus:2;mem:2048" (Mesos's
    syntax; "cpus(*):2" is unreserved, as "cpus:2"). Ports cannot be
    reserved. Raises ResourceParseError naming the faulty part."""
    parsed = _parse(text)
    unreserved = parsed.pop(UNRESERVED, Resources())
    return AgentResources(unreserved + total(parsed.values()), parsed)


def _parse(text: str) -> dict[str, Resources]:
    """Role -> the amounts given for it ("*": those naming no role)."""
    amounts: dict[str, dict[str, float]] = {}
    ports: Ranges = ()
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        name, sep, value = part.partition(":")
        name, role = _name_and_role(name.strip(), part)
        if not sep:
            raise ResourceParseError(f"'{part}' is not NAME:AMOUNT (e.g. 'cpus:2;mem:1024')")
        if name not in _ALL_KINDS:
            raise ResourceParseError(f"unknown resource '{name}' (known: {', '.join(_ALL_KINDS)})")
        given = amounts.setdefault(role, {})
        if name in given or (name == "ports" and ports):
            what = name if role == UNRESERVED else f"{name}({role})"
            raise ResourceParseError(f"resource '{what}' is given twice")
        if name == "ports":
            if role != UNRESERVED:
                raise ResourceParseError(
                    f"'{part}': ports cannot be reserved for a role (reserve cpus, mem or disk)"
                )
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
        given[name] = amount
    if not any(amounts.values()) and not ports:
        raise ResourceParseError("no resources given (e.g. 'cpus:2;mem:1024')")
    parsed = {role: _amount(given) for role, given in amounts.items() if given}
    unreserved = _amount(amounts.get(UNRESERVED, {}))
    parsed[UNRESERVED] = Resources(unreserved.cpus, unreserved.mem, unreserved.disk, ports)
    return parsed


def _amount(given: Mapping[str, float]) -> Resources:
    cpus, mem, disk = (_round(given.get(kind, 0.0)) for kind in _KINDS)
    return Resources(cpus, mem, disk)


def _name_and_role(name: str, part: str) -> tuple[str, str]:
    """'cpus(prod)' -> ('cpus', 'prod'); 'cpus' -> ('cpus', '*')."""
    if "(" not in name and ")" not in name:
        return name, UNRESERVED
    kind, _, rest = name.partition("(")
    role, closed, after = rest.partition(")")
    role = role.strip()
    if not closed or after.strip() or not kind.strip():
        raise ResourceParseError(
            f"'{part}' is not NAME(ROLE):AMOUNT (e.g. 'cpus(prod):2;mem(prod):2048')"
        )
    if role != UNRESERVED and not _ROLE.match(role):
        raise ResourceParseError(
            f"'{part}': role '{role}' is malformed: use up to 64 letters, digits and '._-', "
            "not starting with '.' or '-'"
        )
    return kind.strip(), role
